#!/usr/bin/env bash
# Builds the container image (Dockerfile) and runs it for real. On demand, never in CI: it
# debootstraps Debian, compiles datamig inside the build stage and takes several minutes.
#
#   scripts/image-test.sh                  # as root; installs docker.io, debootstrap, postgresql if missing
#   scripts/image-test.sh --rebuild-base   # re-create the debian:bookworm[-slim] base images first
#   scripts/image-test.sh --keep           # keep the work folder (the .deb, projects, logs)
#
# What it checks:
#   1. the image builds: a Release build and `cpack -G DEB` in the build stage, that .deb installed
#      with apt in the slim runtime stage (so the .deb's computed Depends line is exercised too);
#   2. the .deb's Depends names libpq5 and libpqxx (dpkg-shlibdeps saw the PostgreSQL module);
#   3. the image's user is 10001:10001 (deploy/ runs the pods as runAsUser 10001), WORKDIR /app,
#      ENTRYPOINT datamig; no library is missing (ldd of the binary and the module);
#   4. `datamig --version` in a container prints the version of CMakeLists.txt's project();
#   5. SQLite: `migrate` (an SQL and an exec migration) in a project mounted at /app, with a
#      read-only root filesystem and no network, as the manifests run it; then `status`;
#   6. PostgreSQL: `migrate` twice against a throwaway cluster (scripts/pg-test-cluster.sh) on
#      127.0.0.1 (--network host), the migrations mounted read-only; the history rows in the
#      database afterwards.
# and prints the sizes of the image and the .deb (recorded in docs/kubernetes.md, "Packaging").
#
# Base images: the Dockerfile builds FROM debian:bookworm and runs on debian:bookworm-slim. When
# those tags exist locally (pulled from Docker Hub), they are used as they are. Otherwise (no
# registry reachable) both are made from a `debootstrap --variant=minbase bookworm` root filesystem,
# fetched from the Debian mirror apt is configured with here, and imported with `docker import`;
# the slim one drops documentation, man pages and locales the way Debian's official slim images do.
#
# A Docker daemon that is not running is started (dockerd in the background, its data in
# /var/lib/docker) and stopped at the end. Environment: MIRROR / SECURITY_MIRROR (Debian mirrors;
# default: those of /etc/apt), BUILD_JOBS (compile jobs in the build stage, default 2), IMAGE
# (default datamig:<version>), DOCKER (the docker CLI, default docker).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
docker=${DOCKER:-docker}
# The classic builder: it uses the locally imported base images without asking any registry.
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}

keep=0
rebuild_base=0
for option in "$@"; do
    case "$option" in
        --keep) keep=1 ;;
        --rebuild-base) rebuild_base=1 ;;
        *) echo "usage: $0 [--keep] [--rebuild-base]" >&2; exit 2 ;;
    esac
done

step() { echo "==> $*"; }
die() {
    echo "image-test: FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: it starts dockerd, runs debootstrap and installs packages"

version=$(sed -n -E 's/^project\(datamig VERSION ([0-9.]+).*/\1/p' "$repo/CMakeLists.txt")
[ -n "$version" ] || die "no project(datamig VERSION ...) in CMakeLists.txt"
image=${IMAGE:-datamig:$version}

work=$(mktemp -d /var/tmp/datamig-image-test.XXXXXX)
chmod 0755 "$work"
started_dockerd=""
pg_dir=""
cleanup() {
    local status=$?
    if [ -n "$pg_dir" ]; then "$repo/scripts/pg-test-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true; fi
    if [ -n "$started_dockerd" ]; then
        step "stopping the dockerd this script started (pid $started_dockerd)"
        kill "$started_dockerd" 2>/dev/null || true
        for _ in $(seq 60); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.5; done
    fi
    if [ "$keep" -eq 1 ] || [ "$status" -ne 0 ]; then
        echo "image-test: work folder kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
# A command that fails outside a check says where, rather than ending the script silently.
trap 'echo "image-test: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

# --- tools ---------------------------------------------------------------------------------------

missing=()
command -v "$docker" >/dev/null && command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v ss >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$docker" info >/dev/null 2>&1; then
    step "starting dockerd (log: $work/dockerd.log)"
    dockerd >"$work/dockerd.log" 2>&1 &
    started_dockerd=$!
    for _ in $(seq 120); do
        "$docker" info >/dev/null 2>&1 && break
        kill -0 "$started_dockerd" 2>/dev/null || { cat "$work/dockerd.log" >&2; die "dockerd exited"; }
        sleep 0.5
    done
    "$docker" info >/dev/null 2>&1 || { tail -20 "$work/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
fi

# --- base images ---------------------------------------------------------------------------------

# The Debian mirror apt uses on this machine (deb822 .sources or one-line sources.list), else
# deb.debian.org. $1: "debian" or "debian-security".
host_mirror() {
    local archive=$1
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
        | { grep -v '^[[:space:]]*#' || true; } \
        | { grep -o -E "https?://[^[:space:]]+/$archive/?([[:space:]]|\$)" || true; } \
        | head -n 1 | tr -d '[:space:]' | sed 's:/$::'
}
mirror=${MIRROR:-$(host_mirror debian)}
mirror=${mirror:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-$(host_mirror debian-security)}
security_mirror=${security_mirror:-http://deb.debian.org/debian-security}

# Makes debian:bookworm and debian:bookworm-slim from one debootstrap root filesystem.
make_base_images() {
    local rootfs=$work/rootfs
    step "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
    debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

    # apt sources as in Debian's images: the suite, its updates and security, from these mirrors.
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # What Debian's images set up for containers: no service starts, no caches left behind.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    echo 'APT::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
    rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/*

    local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
        --change 'CMD ["bash"]')
    tar -C "$rootfs" --numeric-owner -c . | "$docker" import "${changes[@]}" - "debian:$suite" >/dev/null

    # Slim: documentation, man pages and locales removed now and kept out of later installs
    # (dpkg path-exclude), as in Debian's debian:<suite>-slim.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/man/* \
        "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/lintian/overrides/*
    tar -C "$rootfs" --numeric-owner -c . | "$docker" import "${changes[@]}" - "debian:$suite-slim" >/dev/null
    rm -rf "$rootfs"
}

if [ "$rebuild_base" -eq 1 ] || ! "$docker" image inspect "debian:$suite" >/dev/null 2>&1 \
    || ! "$docker" image inspect "debian:$suite-slim" >/dev/null 2>&1; then
    make_base_images
else
    step "using the local debian:$suite and debian:$suite-slim images (--rebuild-base re-creates them)"
fi

# --- build ---------------------------------------------------------------------------------------

# Both builds below use one snapshot of the working tree (without build folders and .git;
# .dockerignore narrows it further), so the second finds the first's layers in the cache even
# while someone edits the tree, and the .deb taken from the build stage is the image's.
context=$work/context
mkdir "$context"
tar -C "$repo" --exclude='./build*' --exclude=./.git --exclude='./bench/.*' -c . | tar -C "$context" -x
# --network host: apt in the build stage reaches the mirror without the daemon's bridge and NAT.
build_args=(--network host --build-arg "BUILD_JOBS=${BUILD_JOBS:-2}")
step "building the build stage (compiles datamig, packs the .deb; log: $work/build.log)"
start=$SECONDS
"$docker" build "${build_args[@]}" --target build -t "datamig-build:$version" "$context" >"$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log" >&2; die "the build stage failed"; }
step "building $image (the slim runtime stage installs the .deb)"
"$docker" build "${build_args[@]}" -t "$image" "$context" >>"$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log" >&2; die "the runtime stage failed"; }
echo "    built in $((SECONDS - start)) s"

container=$("$docker" create "datamig-build:$version")
mkdir -p "$work/deb"
"$docker" cp "$container:/out/." "$work/deb/" >/dev/null
"$docker" rm "$container" >/dev/null
deb=$(ls "$work"/deb/datamig_*.deb)
depends=$(dpkg-deb --field "$deb" Depends)
echo "    $(basename "$deb"): Depends: $depends"
grep -q 'libpq5' <<<"$depends" || die "the .deb's Depends lacks libpq5: dpkg-shlibdeps did not see the module"
grep -q 'libpqxx' <<<"$depends" || die "the .deb's Depends lacks libpqxx"
contents=$(dpkg-deb --contents "$deb")
grep -q '/usr/lib/datamig/datamig-postgres.so$' <<<"$contents" || die "the .deb lacks the module"

# --- the image -----------------------------------------------------------------------------------

run() { "$docker" run --rm "$@"; }

step "image configuration"
config=$("$docker" image inspect -f '{{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Entrypoint}}' "$image")
[ "$config" = '10001:10001 /app ["datamig"]' ] || die "image config: $config (want 10001:10001 /app [\"datamig\"])"
ids=$(run --entrypoint id "$image")
[[ "$ids" == "uid=10001(datamig) gid=10001(datamig)"* ]] || die "id in the container: $ids"
missing_libs=$(run --entrypoint sh "$image" -c 'ldd /usr/bin/datamig /usr/lib/datamig/datamig-postgres.so' | grep 'not found' || true)
[ -z "$missing_libs" ] || die "libraries missing in the image: $missing_libs"
# shellcheck disable=SC2016  # dpkg-query's own ${Field} syntax
installed=$(run --entrypoint dpkg-query "$image" -W -f '${Package} ${Version} ${Status}' datamig)
[ "$installed" = "datamig $version install ok installed" ] || die "the .deb is not installed: $installed"
echo "    user 10001:10001, workdir /app, entrypoint datamig, $installed"

step "datamig --version"
got=$(run --network none "$image" --version)
[ "$got" = "datamig $version" ] || die "--version printed '$got', want 'datamig $version'"
echo "    $got"

# A project as the hook Jobs see it: migrations under /app/db/data_migrations.
make_project() {
    local dir=$1
    mkdir -p "$dir/db/data_migrations/pre_sync" "$dir/db/data_migrations/post_sync"
    cat >"$dir/db/data_migrations/pre_sync/20261122093000_fill_roles.sql" <<'EOF'
-- migrate:up
CREATE TABLE IF NOT EXISTS roles (name text PRIMARY KEY);
INSERT INTO roles (name) VALUES ('manager'), ('worker');

-- migrate:down
DELETE FROM roles;

-- migrate:verify
SELECT count(*) = 2 FROM roles;
EOF
    # An exec migration: needs /bin/sh in the image and sees datamig's environment.
    cat >"$dir/db/data_migrations/post_sync/20261122093100_announce.sh" <<'EOF'
#!/bin/sh
echo "exec migration $DATAMIG_VERSION ($DATAMIG_PHASE, $1) as $(id -u) in $(pwd)"
EOF
    chmod 0755 "$dir/db/data_migrations/post_sync/20261122093100_announce.sh"
}

step "SQLite: migrate in a project mounted at /app (read-only root filesystem, no network)"
make_project "$work/sqlite"
chown -R 10001:10001 "$work/sqlite"  # the SQLite file goes to /app/db
sqlite_run=(--network none --read-only --tmpfs /tmp -v "$work/sqlite:/app" "$image")
run "${sqlite_run[@]}" migrate >"$work/sqlite-migrate.out" 2>&1 || { cat "$work/sqlite-migrate.out" >&2; die "SQLite migrate failed"; }
sed 's/^/    /' "$work/sqlite-migrate.out"
status=$(run "${sqlite_run[@]}" status --format json)
if ! grep -q '"applied": *2' <<<"$status" || ! grep -q '"pending": *0' <<<"$status"; then
    die "SQLite status after migrate: $status"
fi
[ -s "$work/sqlite/db/datamig.sqlite3" ] || die "no db/datamig.sqlite3 in the mounted project"
echo "    status: 2 applied, 0 pending"

step "PostgreSQL: migrate against a throwaway cluster on 127.0.0.1 (--network host)"
pg_dir=$work/pg
PG_TEST_STANDBY=0 "$repo/scripts/pg-test-cluster.sh" start "$pg_dir" | sed 's/^/    /'
url=$(cat "$pg_dir/url")
make_project "$work/postgres"
pg_run=(--network host --read-only --tmpfs /tmp -e DATABASE_URL="$url" -e DATAMIG_OPERATOR=image-test
    -v "$work/postgres:/app:ro" "$image")
run "${pg_run[@]}" migrate --wait >"$work/pg-migrate.out" 2>&1 || { cat "$work/pg-migrate.out" >&2; die "PostgreSQL migrate failed"; }
sed 's/^/    /' "$work/pg-migrate.out"
again=$(run "${pg_run[@]}" migrate 2>&1) || die "the second PostgreSQL migrate failed: $again"
grep -q 'nothing to migrate' <<<"$again" || die "the second migrate did something: $again"
rows=$(psql -X -A -t "$url" -c "SELECT string_agg(version || ':' || status || ':' || operator, ' ' ORDER BY version) FROM data_migrations")
[ "$rows" = "20261122093000:applied:image-test 20261122093100:applied:image-test" ] \
    || die "history rows in PostgreSQL: $rows"
roles=$(psql -X -A -t "$url" -c "SELECT count(*) FROM roles")
[ "$roles" = 2 ] || die "the SQL migration's rows in PostgreSQL: $roles"
echo "    history: $rows; second run: nothing to migrate"
password=$(sed -E 's|.*://[^:]*:([^@]*)@.*|\1|' <<<"$url")
if grep -q -F -- "$password" "$work/pg-migrate.out"; then die "the password appears in the output"; fi

# --- sizes ---------------------------------------------------------------------------------------

mb() { awk -v bytes="$1" 'BEGIN {printf "%.1f MB", bytes / 1000000}'; }
image_size=$("$docker" image inspect -f '{{.Size}}' "$image")
base_size=$("$docker" image inspect -f '{{.Size}}' "debian:$suite-slim")
deb_size=$(stat -c %s "$deb")
installed_size=$(dpkg-deb --field "$deb" Installed-Size)
echo
echo "image-test: OK"
echo "  image   $image: $(mb "$image_size") (debian:$suite-slim base: $(mb "$base_size"))"
echo "  .deb    $(basename "$deb"): $(mb "$deb_size"), installed $installed_size kB"
echo "  Depends $depends"
if [ "$keep" -eq 1 ]; then cp "$deb" "$work/"; fi
echo "  remove the images with: $docker rmi $image datamig-build:$version"
