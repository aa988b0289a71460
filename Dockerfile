# The code location image: the connectors_pipeline package serving its definitions over gRPC on port
# 4000 to dagster-webserver and dagster-daemon, and the image Dagster runs each run in (K8sRunLauncher
# and Docker run launchers take it from this server). Nothing secret is in it: the store URL, the
# token keys, DAGSTER_PG_* and OAuth clients come from the environment at run time (docs/deployment.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    CONNECTORS_HOME=/var/lib/connectors

# Installed as a regular (non-editable) package; the source copy is removed afterwards. An object
# store for blobs (CONNECTORS_BLOB_URL=s3://...) needs its fsspec backend too: add s3fs here.
COPY pyproject.toml setup.cfg README.md /tmp/src/
COPY connectors_pipeline /tmp/src/connectors_pipeline
RUN pip install /tmp/src && rm -rf /tmp/src

# The PostgreSQL instance (its settings are environment references, no values) for run processes
# started next to this server; a Helm chart mounts its own instance file over it.
COPY deploy/dagster-postgres.yaml ${DAGSTER_HOME}/dagster.yaml

RUN useradd --system --uid 10001 --user-group --home-dir ${CONNECTORS_HOME} --create-home connectors \
    && chown -R connectors:connectors ${DAGSTER_HOME}
USER connectors
WORKDIR ${CONNECTORS_HOME}

EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s \
    CMD ["dagster", "api", "grpc-health-check", "-p", "4000"]
# CMD (not ENTRYPOINT): run launchers and executors replace it to execute runs and steps.
CMD ["dagster", "code-server", "start", "-m", "connectors_pipeline.definitions", \
     "-h", "0.0.0.0", "-p", "4000", "--location-name", "connectors_pipeline"]
