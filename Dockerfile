# Multi-stage build: a static leakdesk binary on a small Debian base with Chromium and the Japanese
# fonts the PDF documents need. .dockerignore keeps .data/ (the development data key, the demo
# passwords, the local cluster) and .git out of the build context.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/leakdesk ./cmd/leakdesk

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates fonts-ipaexfont-gothic fonts-ipaexfont-mincho chromium \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 leakdesk
COPY --from=build /out/leakdesk /usr/local/bin/leakdesk
USER leakdesk
ENV LEAKDESK_ADDR=0.0.0.0:8080
EXPOSE 8080
# Ready means the database answers and the schema is current (GET /readyz); the image has no curl,
# so the binary asks itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/leakdesk", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/leakdesk"]
CMD ["serve"]
