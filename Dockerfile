# faultline's container image: the agent of deploy/daemonset.yaml.
#
# Stage "build" runs the same scripts as a checkout does: scripts/deps.sh
# installs the Debian packages, make builds and installs into a staging
# directory. scripts/dockerfile-steps.sh runs exactly these RUN steps on a
# copy of the tree without a container engine, and the selftest
# tests/selftests/dockerfile.sh checks the result; keep the build stage to
# FROM, WORKDIR, ENV, COPY . and RUN so that the script can follow it.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/deps.sh
RUN make clean && make -j"$(nproc)" all
RUN make install PREFIX=/usr DESTDIR="$PWD/stage"

# The runtime: bookworm-slim with the shared libraries the binary links
# (the selftest checks this list against the binary's DT_NEEDED entries).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	libbpf1 libxdp1 libelf1 zlib1g libjson-c5 libmnl0 libyaml-0-2 libcurl4 libmicrohttpd12 libcap2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/stage/ /
# The DaemonSet passes its own arguments after these (command: in the pod
# spec replaces the entrypoint as a whole; see deploy/daemonset.yaml).
ENTRYPOINT ["/usr/sbin/faultline", "agent"]
