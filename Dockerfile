# One image for the API and the workers. TORCH_INDEX picks the build of torch:
#   CPU (default)  https://download.pytorch.org/whl/cpu
#   CUDA           https://download.pytorch.org/whl/cu128   (docker-compose's worker-gpu)
FROM node:20-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 RLBOARD_DATA_DIR=/data
WORKDIR /app
# EGL for MuJoCo's offscreen rendering (`rlboard evaluate --video`, MUJOCO_GL=egl).
RUN apt-get update && apt-get install -y --no-install-recommends libegl1 libgl1 \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir torch==2.13.0 --index-url ${TORCH_INDEX}
COPY pyproject.toml README.md alembic.ini ./
COPY alembic/ alembic/
COPY engine/ engine/
COPY backend/ backend/
COPY worker/ worker/
RUN pip install --no-cache-dir -e .
COPY --from=frontend /src/frontend/dist frontend/dist
VOLUME /data
EXPOSE 8000
CMD ["rlboard", "serve", "--host", "0.0.0.0", "--no-worker"]
