# One image, two entrypoints: `vocast serve` (default) and `vocast scheduler`.
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 vocast
WORKDIR /app
COPY --chown=vocast:vocast . /app
# The same install as the README's scripts/setup; EXTRAS=postgres,dask for a Dask cluster.
ARG EXTRAS=postgres
RUN python3 -m venv .venv \
    && .venv/bin/python -m pip install -q --upgrade pip \
    && .venv/bin/python -m pip install -q -e ".[${EXTRAS}]" \
    && mkdir -p /app/var && chown vocast:vocast /app/var

USER vocast
ENV VOCAST_HOST=0.0.0.0 \
    VOCAST_PORT=8000 \
    PATH="/app/.venv/bin:${PATH}"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(0)"
CMD ["vocast", "serve"]
