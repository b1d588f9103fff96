# The drift-correction job image: `python -m provisioner` as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY provisioner ./provisioner
COPY reconcilers ./reconcilers
COPY emulator ./emulator
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /install /usr/local
WORKDIR /app
COPY specs ./specs
RUN useradd --uid 10001 --no-create-home --home-dir /app provisioner \
    && mkdir -p /app/.provisioner && chown provisioner /app/.provisioner
USER 10001
ENTRYPOINT ["python", "-m", "provisioner"]
CMD ["--help"]
