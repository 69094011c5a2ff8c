# datamig's container image: the binary and its PostgreSQL module on a slim Debian 12, run as a
# non-root user. The Argo CD hook Jobs in deploy/ run it (docs/kubernetes.md).
#
#   docker build -t datamig:0.1.0 .                      # from the repository's root
#   docker run --rm datamig:0.1.0 --version
#   docker run --rm -v "$PWD:/app" -e DATABASE_URL=postgres://... datamig:0.1.0 migrate
#
# Your migrations: build one image per application version on top of this one, so the hook Jobs
# of a sync run exactly the migrations of that version:
#
#   FROM registry.example.com/datamig:0.1.0
#   COPY db/data_migrations /app/db/data_migrations
#   COPY datamig.toml /app/datamig.toml                  # optional
#
# (or mount a project at /app, as scripts/image-test.sh does). Exec migrations run with /app as
# their working directory; whatever they call (psql, curl, ...) must be installed in that image.
#
# Two stages:
#   build    Debian 12 with the -dev packages (the list of scripts/install-deps.sh), compiles a
#            Release build and packs it with `cpack -G DEB`: the .deb's Depends line is computed
#            by dpkg-shlibdeps from the binary and the module (CMakeLists.txt, "Packages").
#   runtime  debian:bookworm-slim plus that .deb, installed with apt: apt pulls in exactly the
#            libraries the Depends line names (libpq5, libpqxx-6.4, libsqlite3-0, libspdlog1.10,
#            libfmt9, libssl3, ...), so the image needs no list of its own that could drift.
#            Plus CA certificates, for PostgreSQL URLs with sslmode=verify-full.
#
# Build arguments: DEBIAN_SUITE (default bookworm), BUILD_JOBS (compile jobs; default: ninja's,
# the number of cores + 2). scripts/image-test.sh builds this image and runs it for real.

ARG DEBIAN_SUITE=bookworm

# --- build ---------------------------------------------------------------------------------------
FROM debian:${DEBIAN_SUITE} AS build
# dpkg-dev (dpkg-shlibdeps) and file are what `cpack -G DEB` needs to compute the Depends line;
# catch2 is not needed: the tests are not built here (DATAMIG_TESTS=OFF).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config dpkg-dev file \
      libcli11-dev libpqxx-dev libpq-dev libsqlitecpp-dev libsqlite3-dev libspdlog-dev libfmt-dev \
      libssl-dev nlohmann-json3-dev libtomlplusplus-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .dockerignore lets in only what the build reads (no local build folders, no .git).
COPY . .
ARG BUILD_JOBS=
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDATAMIG_TESTS=OFF \
 && cmake --build build ${BUILD_JOBS:+--parallel "$BUILD_JOBS"} \
 && cd build \
 && cpack -G DEB \
 && mkdir /out \
 && cp datamig_*.deb /out/ \
 && dpkg-deb --field /out/datamig_*.deb Package Version Depends

# --- runtime -------------------------------------------------------------------------------------
FROM debian:${DEBIAN_SUITE}-slim
LABEL org.opencontainers.image.title="datamig" \
      org.opencontainers.image.description="data-migration runner for Argo CD PreSync/PostSync hooks" \
      org.opencontainers.image.licenses="MIT"
# The .deb installs /usr/bin/datamig, /usr/lib/datamig/datamig-postgres.so (found from the binary
# as ../lib/datamig), the man page and the bash completion (the slim base drops the man page).
COPY --from=build /out/ /tmp/datamig/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates /tmp/datamig/datamig_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/datamig \
 && groupadd --gid 10001 datamig \
 && useradd --uid 10001 --gid datamig --home-dir /app --no-create-home --shell /usr/sbin/nologin \
      datamig \
 && mkdir -p /app/db/data_migrations

# The manifests in deploy/ run the pod as 10001:10001 with runAsNonRoot and a read-only root
# filesystem; a numeric USER lets Kubernetes check runAsNonRoot without reading /etc/passwd.
# /app stays owned by root: the migrations are read, never written (SQLite's default database,
# db/datamig.sqlite3, needs a writable /app/db: mount one, or use PostgreSQL).
USER 10001:10001
# The default --dir, db/data_migrations, is relative: here /app/db/data_migrations, where
# datamig.toml is read from too. No DATAMIG_DIR here on purpose: the environment beats the config
# file, so setting it in the image would silently override a `dir = ...` in datamig.toml (the
# manifests in deploy/ set it explicitly instead).
WORKDIR /app
ENTRYPOINT ["datamig"]
CMD ["--help"]
