# The toolkit in one image: every tool on a minimal Debian base, for the
# distributed probe's Job (deploy/k8s/llm-probe-job.yaml) and for running the
# checks from a cluster. Build with scripts/image.sh (docker, podman or buildah).
# The binaries link only glibc (TLS is rustls, no OpenSSL); kubectl is added for
# k8s-check. cloud-check needs the aws or gcloud CLI, which this image leaves out.

FROM docker.io/library/rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
      -p llm-probe -p latency-stats -p pg-check -p k8s-check -p http-check -p cloud-check -p report-md -p llm-sim \
 && mkdir /out \
 && cp target/release/llm-probe target/release/latency-stats target/release/pg-check target/release/k8s-check \
       target/release/http-check target/release/cloud-check target/release/report-md target/release/llm-sim /out/

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates kubernetes-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
COPY config/targets.txt /etc/navi-launch/targets.txt
# The Job runs as this user (runAsNonRoot): no root in the container.
USER 65532:65532
CMD ["llm-probe", "--help"]
