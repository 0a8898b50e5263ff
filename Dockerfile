# One image for the four services, the clock and the topics-init and access-init jobs (services/platform):
#   docker build -t midlands-governance .
# Each compose service picks what it runs with its command. Only shared/ and services/ go
# in, with the AsyncAPI documents the services serve; tools/, tests/ and bench/ run from a
# checkout and are not shipped.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Installed as a package (migrations, templates and reference data are package data),
# so the running code is exactly what `pip install .` produced, not the build context.
COPY pyproject.toml /src/
COPY shared /src/shared
COPY services /src/services
RUN pip install /src && rm -rf /src \
    && useradd --system --uid 10001 --no-create-home governance
# The AsyncAPI documents and their pages, served by every service at /asyncapi.json and /asyncapi.
COPY docs/asyncapi /app/docs/asyncapi
ENV ASYNCAPI_DOCS=/app/docs/asyncapi

WORKDIR /app
USER governance
EXPOSE 8000

# Overridden per service in docker-compose.yml.
CMD ["faststream", "run", "services.actions.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
