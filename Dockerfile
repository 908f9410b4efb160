# The consumer's container image: one static binary, run as 65532:65532
# (nonroot) with no shell, on a root filesystem that can be mounted
# read-only. Build it with `make image` (scripts/image.sh), which picks the
# variant below and the engine (podman, else docker).
#
# Two variants, chosen by BUILD_FROM; they differ only in where the binary
# and the base come from, and share the last stage (user, entrypoint,
# command, paths, environment), so the image runs the same either way:
#
#   registry (default)  the binary is built in GO_IMAGE, on RUNTIME_IMAGE
#                       (distroless static, nonroot): for CI that can pull.
#   local               bin/image/, staged by scripts/image.sh on the host
#                       (the binary built with the same script and flags,
#                       the host's CA certificates, a passwd and group
#                       naming 65532 nonroot), on scratch: for machines
#                       that reach no registry.
#
# Writable paths: none in the image's root. DIAG_DIR (the evidence saved
# when liveness fails) is /var/lib/consumerkit/diag; with a read-only root
# mount a volume there: an emptyDir in the Deployment, `--tmpfs` with
# podman or docker. The directory is mode 1777 (as /tmp): runc gives a
# tmpfs mounted on it the directory's mode but not its owner, so only a
# directory everyone may write leaves the tmpfs writable for 65532.

ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot
ARG BUILD_FROM=registry

# --- registry: build the binary from the sources ---------------------------
FROM ${GO_IMAGE} AS build-registry
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN VERSION="${VERSION}" scripts/image.sh binary /out/consumer && \
    mkdir -p /out/var/lib/consumerkit && mkdir -m 1777 /out/var/lib/consumerkit/diag

FROM ${RUNTIME_IMAGE} AS base-registry

# --- local: what scripts/image.sh staged on the host ----------------------
FROM scratch AS build-local
COPY bin/image/out/ /out/

FROM scratch AS base-local
COPY bin/image/etc/ /etc/

# --- the image: identical for both variants --------------------------------
FROM build-${BUILD_FROM} AS build

FROM base-${BUILD_FROM}
COPY --from=build /out/ /
ENV DIAG_DIR=/var/lib/consumerkit/diag
USER 65532:65532
# SIGTERM (podman/docker stop, the kubelet) starts the graceful shutdown:
# drain, final commit, exit 0. The binary is PID 1 and handles it itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/consumer"]
CMD ["run"]
