"""The platform's two small processes that ship in the image beside the services: the
governance clock (``python -m services.platform.clock``) and the one-shot topic set-up
(``python -m services.platform.topics``, docker compose's topics-init job)."""
