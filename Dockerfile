# The suite as one image: `otp-suite gate` (contract suite, load smoke, single-file Allure report),
# `otp-suite serve` (the reference service) and the Locust master/workers of docker-compose.yml.
#
#   docker build --build-arg GIT_REVISION=$(git rev-parse --short=12 HEAD) -t otp-suite .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/reports:/app/reports" otp-suite   # gate, embedded service
#   docker run --rm --user "$(id -u):$(id -g)" -e OTP_ENV=stage -e OTP_JWT_SECRET \
#       -v "$PWD/reports:/app/reports" otp-suite gate                              # gate a real environment
# `--user "$(id -u):$(id -g)"` makes the bind-mounted ./reports writable (owned by you); without
# it the image runs as uid 10001. Any uid works: nothing under /app is written except reports/.
#
# Node is only here for the pinned Allure 3 generator (package-lock.json); the browser is not
# needed to build the report, so it is not in the image.

# --- the pinned Node tools (Allure 3) -------------------------------------------------------
FROM node:20.18.1-bookworm-slim AS node-tools
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- the suite --------------------------------------------------------------------------------
FROM python:3.11.11-slim-bookworm

ARG GIT_REVISION=unknown
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY --from=node-tools /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=node-tools /app/node_modules ./node_modules
# environments.toml: the profiles of OTP_ENV (mount your own over /app/environments.toml to change them).
COPY pyproject.toml constraints.txt README.md openapi.yaml schemathesis.toml environments.toml ./
COPY src ./src
COPY contract_tests ./contract_tests
COPY load ./load
# Editable, like `make install`: the suite finds openapi.yaml, contract_tests/ and node_modules/
# beside its sources. Exact versions from constraints.txt.
RUN pip install --no-cache-dir -c constraints.txt -e . \
    && echo "$GIT_REVISION" > /app/REVISION \
    && useradd --no-create-home --home-dir /tmp --uid 10001 --gid 0 suite \
    && mkdir -p /app/reports \
    && chmod 1777 /app/reports
# Numeric (hadolint DL3066; Kubernetes runAsNonRoot can check it). HOME=/tmp: a `--user` uid
# without a passwd entry still has a writable home for Node and Python caches.
ENV HOME=/tmp
USER 10001:0

# Results, the report (reports/allure-report/index.html) and report history land here: mount it.
VOLUME ["/app/reports"]
# 8000: `otp-suite serve`; 8089: Locust web UI (unused headless); 5557: Locust master <- workers.
EXPOSE 8000 8089 5557
ENTRYPOINT ["otp-suite"]
CMD ["gate"]
