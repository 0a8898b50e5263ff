"""The People Board's website: people sign in and act as themselves."""
