# One image for every process of docs/DEPLOY.md (web, worker, migrate): compose.yaml runs it.
# The front-end bundle is built in a Node stage; the Python stage compiles the catalogs and
# collects the static files, so a container only serves.

FROM node:22-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend ./frontend
RUN npm run build

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8000
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 consultation
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/static/dist ./static/dist
# Build-time values only, so the settings load; the containers get the real ones (compose).
RUN DEBUG=0 ENV_FILE= SECRET_KEY=build-only-not-a-secret-0123456789-0123456789-0123456789 \
    APIKEY_PEPPER=build-only ALLOWED_HOSTS=build.invalid SITE_URL=https://build.invalid \
    EMAIL_URL=consolemail:// \
    sh -c 'python manage.py compilemessages --ignore=.venv -v 0 \
           && python manage.py collectstatic --noinput -v 0'
USER consultation
EXPOSE 8000
CMD ["sh", "-c", "daphne -b 0.0.0.0 -p $PORT --proxy-headers consultation.asgi:application"]
