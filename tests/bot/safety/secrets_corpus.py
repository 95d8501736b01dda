"""Realistic secrets as they appear in logs, configs, alerts and tool output — and look-alikes that are not
secrets. Every value here is fake (example keys from vendors' docs or random characters)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Secret", "SECRETS", "NOT_SECRETS"]


@dataclass(frozen=True)
class Secret:
    name: str
    text: str
    """The line the secret appears in."""
    secret: str
    """The part that must disappear."""
    keep: tuple[str, ...] = ()
    """Surrounding text that must survive."""


_PEM_RSA = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----"
)
_PEM_OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n"
    "c2gtZWQyNTUxOQAAACDXq7rZ2dmp0Yfh1o6m0K2qN2nQ5xXr9pK3s1e2t3u4vw==\n-----END OPENSSH PRIVATE KEY-----"
)
_PEM_EC = (
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n"
    "-----END EC PRIVATE KEY-----"
)
_PGP = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF8k1ZQBCADLq8bT0mF7hH2kNq3p1z9vR6yW0sX4cE7uJ5aD2gK8iL1oM3nP\n"
    "=a1b2\n-----END PGP PRIVATE KEY BLOCK-----"
)
_GCP_KEY = (
    "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\\n-----END PRIVATE KEY-----\\n"
)
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

SECRETS: list[Secret] = [
    # Slack
    Secret(
        "slack-bot-token",
        "SLACK_BOT_TOKEN=xoxb-2718281828-3141592653589-AbCdEfGhIjKlMnOpQrStUvWx exported",
        "xoxb-2718281828-3141592653589-AbCdEfGhIjKlMnOpQrStUvWx",
        ("SLACK_BOT_TOKEN=", "exported"),
    ),
    Secret(
        "slack-user-token",
        "calling chat.postMessage with xoxp-1234567890-1234567890-1234567890123-0123456789abcdef"
        "0123456789abcdef failed",
        "xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef",
        ("calling chat.postMessage with", "failed"),
    ),
    Secret(
        "slack-app-token",
        "socket mode: token xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef rejected",
        "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef",
        ("socket mode", "rejected"),
    ),
    Secret(
        "slack-refresh-token",
        "rotating xoxe-1-My0xLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MDEyMy1hYmNkZWZnaGlqa2xtbm9w now",
        "xoxe-1-My0xLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MDEyMy1hYmNkZWZnaGlqa2xtbm9w",
        ("rotating", "now"),
    ),
    Secret(
        "slack-webhook",
        "POST https://hooks.slack.com/services/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 -> 404",
        "T0A1B2C3D/B0A1B2C3D/Xq9sT4kL2mN8pR5vW1yZ3bC6",
        ("POST", "-> 404"),
    ),
    Secret(
        "slack-workflow-webhook",
        "trigger https://hooks.slack.com/triggers/T0A1B2C3D/5512345678901/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d sent",
        "5512345678901/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
        ("trigger", "sent"),
    ),
    # OpenAI / Anthropic / HF
    Secret(
        "openai-legacy",
        "openai.AuthenticationError: Incorrect API key provided: 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.",
        "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",
        ("Incorrect API key provided:",),
    ),
    Secret(
        "openai-project",
        'OPENAI_API_KEY="sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq2rSt5uVw8x'
        'Yz1aBc4dEf7gHi0jKl3mNo_6pQr9sTu-2vWx"',
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq2r",
        ("OPENAI_API_KEY=",),
    ),
    Secret(
        "openai-service-account",
        "key sk-svcacct-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa in use",
        "sk-svcacct-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa",
        ("key", "in use"),
    ),
    Secret(
        "anthropic",
        "x-api-key: sk-ant-api03-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7-AbCdEfGh",
        "sk-ant-api03-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7",
        ("x-api-key",),
    ),
    Secret(
        "huggingface",
        "HF_TOKEN is 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 here",
        "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",
        ("HF_TOKEN is", "here"),
    ),
    # Cloud
    Secret(
        "aws-access-key-id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", ("aws_access_key_id",)
    ),
    Secret(
        "aws-access-key-id-inline",
        "assumed role with ASIAY34FZKBOKMUTVV7A for deploy",
        "ASIAY34FZKBOKMUTVV7A",
        ("assumed role with", "for deploy"),
    ),
    Secret(
        "aws-secret-access-key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ("aws_secret_access_key",),
    ),
    Secret(
        "aws-secret-env",
        "export AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        ("export AWS_SECRET_ACCESS_KEY=",),
    ),
    Secret(
        "aws-session-token",
        "aws_session_token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6",
        "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6",
        ("aws_session_token=",),
    ),
    Secret(
        "google-api-key",
        "maps call with key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe failed",
        "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        ("maps call with", "failed"),
    ),
    Secret(
        "google-oauth-client-secret",
        "client secret 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 loaded",
        "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",
        ("loaded",),
    ),
    Secret(
        "gcp-service-account-json",
        '{"type": "service_account", "project_id": "shop-prod", "private_key_id": '
        '"3f1e2d4c5b6a79880123456789abcdef01234567", "private_key": "' + _GCP_KEY + '", "client_email": '
        '"andon@shop-prod.iam.gserviceaccount.com"}',
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
        ('"type": "service_account"', "andon@shop-prod.iam.gserviceaccount.com"),
    ),
    Secret(
        "gcp-private-key-id",
        '"private_key_id": "3f1e2d4c5b6a79880123456789abcdef01234567",',
        "3f1e2d4c5b6a79880123456789abcdef01234567",
        ('"private_key_id"',),
    ),
    Secret(
        "azure-storage-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey="
        + _AZURE_KEY
        + ";EndpointSuffix=core.windows.net",
        _AZURE_KEY,
        ("AccountName=shopdata", "EndpointSuffix=core.windows.net"),
    ),
    Secret(
        "azure-service-bus",
        "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=pL0kW3nE9qR7tY5uI2oP4aS6dF8gH1jK3lZ5xC7vB9n=",
        "pL0kW3nE9qR7tY5uI2oP4aS6dF8gH1jK3lZ5xC7vB9n=",
        ("Endpoint=sb://shop.servicebus.windows.net/",),
    ),
    Secret(
        "azure-sas-url",
        "GET https://shopdata.blob.core.windows.net/backups/db.tar?sv=2022-11-02&ss=b&sp=r"
        "&se=2026-12-01T00:00:00Z&sig=q8Z%2F3kLm9NpQ4rSt7UvWx0yZaBcDeFgHiJk%3D 403",
        "q8Z%2F3kLm9NpQ4rSt7UvWx0yZaBcDeFgHiJk%3D",
        ("shopdata.blob.core.windows.net/backups/db.tar", "403"),
    ),
    Secret("digitalocean", "DO token dop_v1_" + "a1b2c3d4" * 8 + " revoked", "dop_v1_" + "a1b2c3d4" * 8, ("revoked",)),
    # Code hosting and registries
    Secret(
        "github-classic-pat",
        "git clone failed for ghp_R4nd0mT0k3nW1thThirtySixCharsAbCdEf",
        "ghp_R4nd0mT0k3nW1thThirtySixCharsAbCdEf",
        ("git clone failed for",),
    ),
    Secret(
        "github-fine-grained-pat",
        "token: github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
        (),
    ),
    Secret(
        "github-app-token",
        "installation token ghs_16C7e42F292c6912E7710c838347Ae178B4a expires",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        ("installation token", "expires"),
    ),
    Secret(
        "gitlab-pat",
        "PRIVATE-TOKEN header glpat-x9Yz8Wv7Ut6Sr5Qp4On3 rejected",
        "glpat-x9Yz8Wv7Ut6Sr5Qp4On3",
        ("rejected",),
    ),
    Secret(
        "gitlab-runner-token",
        "registered runner with glrt-t1_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk ok",
        "glrt-t1_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk",
        ("registered runner with", "ok"),
    ),
    Secret(
        "npm-token",
        "//registry.npmjs.org/:_authToken=npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz",
        "npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz",
        ("//registry.npmjs.org/",),
    ),
    Secret(
        "pypi-token",
        "twine upload -p pypi-AgEIcHlwaS5vcmcCJDU5YjA1YzE0LTc3ZjItNGE1Ni1hZDNiLTk0ZTQ1NzJmNmNmYwACKlsz",
        "pypi-AgEIcHlwaS5vcmcCJDU5YjA1YzE0LTc3ZjItNGE1Ni1hZDNiLTk0ZTQ1NzJmNmNmYwACKlsz",
        ("twine upload",),
    ),
    Secret(
        "docker-config-auth",
        '{"auths": {"registry.example.com": {"auth": "ZGVwbG95OnMzY3IzdC1wNHNzdzByZA=="}}}',
        "ZGVwbG95OnMzY3IzdC1wNHNzdzByZA==",
        ('"registry.example.com"',),
    ),
    # Payments, mail, chat, infra
    Secret(
        "stripe-live-secret",
        "Stripe::AuthenticationError using sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123DEF456",
        "sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123DEF456",
        ("Stripe::AuthenticationError using",),
    ),
    Secret(
        "stripe-restricted",
        "STRIPE_KEY=rk_live_51HqLyjWDarjtT1zdQwErTyUiOp",
        "rk_live_51HqLyjWDarjtT1zdQwErTyUiOp",
        ("STRIPE_KEY=",),
    ),
    Secret(
        "stripe-webhook-secret",
        "verifying signature with whsec_5f8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c failed",
        "whsec_5f8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c",
        ("verifying signature with", "failed"),
    ),
    Secret(
        "sendgrid",
        "SENDGRID=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 here",
        "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",
        ("here",),
    ),
    Secret(
        "telegram-bot-token",
        "bot 7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 muted",
        "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        ("muted",),
    ),
    Secret(
        "discord-webhook",
        "alerting to https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz"
        "0123456789_-AbCdEfGhIjKlMnOpQrStUv",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUv",
        ("alerting to",),
    ),
    Secret(
        "vault-token",
        "VAULT_TOKEN hvs.CAESIJ1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0T1u",
        "hvs.CAESIJ1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0T1u",
        ("VAULT_TOKEN",),
    ),
    Secret(
        "shopify",
        "shop token shpat_0123456789abcdef0123456789abcdef set",
        "shpat_0123456789abcdef0123456789abcdef",
        ("shop token", "set"),
    ),
    Secret(
        "grafana-service-account",
        "grafana auth glsa_ZxYwVuTsRqPoNmLkJiHgFeDcBa012345_1a2b3c4d ok",
        "glsa_ZxYwVuTsRqPoNmLkJiHgFeDcBa012345_1a2b3c4d",
        ("grafana", "ok"),
    ),
    # Tokens and keys by shape
    Secret("jwt", f"Authorization: Bearer {_JWT}", _JWT, ("Authorization:",)),
    Secret("jwt-in-cookie", f"Cookie: session={_JWT}; theme=dark", _JWT, ("Cookie:",)),
    Secret(
        "bearer-opaque",
        "curl -H 'Authorization: Bearer 4f9a1c2e8b7d6a5f4e3d2c1b0a9f8e7d' https://api.internal/v1",
        "4f9a1c2e8b7d6a5f4e3d2c1b0a9f8e7d",
        ("curl -H", "https://api.internal/v1"),
    ),
    Secret(
        "basic-header",
        "Authorization: Basic ZGVwbG95OmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==",
        "ZGVwbG95OmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==",
        ("Authorization:",),
    ),
    Secret(
        "drf-token-header",
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        ("Authorization:",),
    ),
    Secret(
        "pem-rsa",
        f"loaded key:\n{_PEM_RSA}\nfrom /etc/tls",
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        ("loaded key:", "from /etc/tls"),
    ),
    Secret(
        "pem-openssh",
        f"id_ed25519:\n{_PEM_OPENSSH}",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz",
        ("id_ed25519:",),
    ),
    Secret("pem-ec", _PEM_EC, "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49", ()),
    Secret(
        "pgp-private-key",
        f"signing key {_PGP}",
        "lQOYBF8k1ZQBCADLq8bT0mF7hH2kNq3p1z9vR6yW0sX4cE7uJ5aD2gK8iL1oM3nP",
        ("signing key",),
    ),
    # Connection strings and URLs with credentials
    Secret(
        "postgres-dsn",
        "could not connect: postgresql://andon:S3cr3t!Pa55@db.internal:5432/andon?sslmode=require",
        "S3cr3t!Pa55",
        ("could not connect: postgresql://andon:", "@db.internal:5432/andon?sslmode=require"),
    ),
    Secret(
        "postgres-dsn-at-in-password",
        "DATABASE_URL=postgres://app:p@ssw0rd@10.0.3.7/shop",
        "p@ssw0rd",
        ("DATABASE_URL=postgres://app:", "10.0.3.7/shop"),
    ),
    Secret(
        "mysql-dsn",
        "mysql://root:hunter2hunter2@mysql-primary:3306/orders",
        "hunter2hunter2",
        ("mysql://root:", "@mysql-primary:3306/orders"),
    ),
    Secret(
        "redis-password-only",
        "REDIS_URL=redis://:Zq8Wx7Ec6Rv5Tb4@cache-0.redis:6379/0",
        "Zq8Wx7Ec6Rv5Tb4",
        ("REDIS_URL=redis://", "@cache-0.redis:6379/0"),
    ),
    Secret(
        "rediss-dsn",
        "rediss://default:AVNS_9xZ8yW7vU6tS5rQ4@redis-prod.example.net:25061",
        "AVNS_9xZ8yW7vU6tS5rQ4",
        ("rediss://default:", "@redis-prod.example.net:25061"),
    ),
    Secret(
        "amqp-dsn",
        "amqp://orders:Rabb1tPassw0rd@rabbitmq.shop.svc:5672/%2F",
        "Rabb1tPassw0rd",
        ("amqp://orders:", "@rabbitmq.shop.svc:5672/%2F"),
    ),
    Secret(
        "mongodb-srv",
        "mongodb+srv://admin:M0ng0Pa55@cluster0.ab1cd.mongodb.net/?retryWrites=true&w=majority",
        "M0ng0Pa55",
        ("mongodb+srv://admin:", "@cluster0.ab1cd.mongodb.net/?retryWrites=true"),
    ),
    Secret(
        "basic-auth-url",
        "fetching https://deploy:gh0stT0kenValue@git.example.com/shop/checkout.git",
        "gh0stT0kenValue",
        ("fetching https://deploy:", "@git.example.com/shop/checkout.git"),
    ),
    Secret(
        "jdbc-password-param",
        "jdbc:postgresql://db:5432/app?user=app&password=s3cretJdbc&ssl=true",
        "s3cretJdbc",
        ("jdbc:postgresql://db:5432/app?user=app&", "&ssl=true"),
    ),
    Secret(
        "sqlserver-connection-string",
        "Server=tcp:shop.database.windows.net,1433;User ID=admin;Password=Pa$$w0rd!2024;Encrypt=True",
        "Pa$$w0rd!2024",
        ("Server=tcp:shop.database.windows.net,1433;User ID=admin;", "Encrypt=True"),
    ),
    # key = value shapes
    Secret(
        "password-kv",
        "login failed: user=admin password=hunter2 ip=10.1.2.3",
        "hunter2",
        ("login failed: user=admin", "ip=10.1.2.3"),
    ),
    Secret("db-pass-env", "env: DB_PASS=Tr0ub4dor_and_3 DB_HOST=orders-db", "Tr0ub4dor_and_3", ("DB_HOST=orders-db",)),
    Secret("pgpassword", "PGPASSWORD='c0rrect-h0rse' psql -h orders-db", "c0rrect-h0rse", ("psql -h orders-db",)),
    Secret(
        "json-api-key",
        '{"service": "payments", "api_key": "pk_9f8e7d6c5b4a39281706", "retries": 3}',
        "pk_9f8e7d6c5b4a39281706",
        ('"service": "payments"', '"retries": 3'),
    ),
    Secret(
        "yaml-client-secret",
        "oauth:\n  client_id: andon-bot\n  client_secret: 7Hq2Lm9Xw4Rt6Yp1\n  scopes: [read]",
        "7Hq2Lm9Xw4Rt6Yp1",
        ("client_id: andon-bot", "scopes: [read]"),
    ),
    Secret(
        "cli-flag", "started with --db-password=Sup3rS3cret --port 8080", "Sup3rS3cret", ("started with", "--port 8080")
    ),
    Secret(
        "k8s-secret-data",
        "data:\n  password: cGFzc3dvcmQxMjM=\n  username: YWRtaW4=",
        "cGFzc3dvcmQxMjM=",
        ("username: YWRtaW4=",),
    ),
    Secret(
        "datadog-api-key",
        "DD_API_KEY=0123456789abcdef0123456789abcdef agent starting",
        "0123456789abcdef0123456789abcdef",
        ("agent starting",),
    ),
    Secret(
        "signing-secret",
        "SLACK_SIGNING_SECRET: 8f742231b10e8888abcd99yyyzzz85a5",
        "8f742231b10e8888abcd99yyyzzz85a5",
        ("SLACK_SIGNING_SECRET",),
    ),
]

NOT_SECRETS: list[str] = [
    "checkout v2.14.0 (pricing refactor) rolled out; previous version v2.13.2",
    "deploy 3f5e2a1b9c0d4e7f8a6b5c4d3e2f1a0b9c8d7e6f by ci-bot",
    "request 123e4567-e89b-12d3-a456-426614174000 failed after 3 retries",
    'rate(http_server_requests_seconds_count{service="checkout",status=~"5.."}[5m])',
    "db_client_connections_pending_requests and rate_limiter_tokens_available dropped",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
    "author: ci-bot changed config at 2026-03-10T10:04:00Z",
    "tests passed=412 failed=0 skipped=3",
    "disk-pressure-eviction-threshold exceeded on ip-10-0-1-23.ec2.internal",
    "the risk-assessment-for-deploy-window is attached",
    "pod checkout-7d9f-abcde restarted 3 times (OOMKilled)",
    "see http://prometheus.local:9090/graph and https://grafana.example.com/d/abc123/checkout",
    "paged ops@example.com; escalation via PagerDuty",
    "ERROR POST /api/checkout 500: NullPointerException in PriceCalculator.total (cart=2148ac62)",
    "sha256:9b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a",
    "password reset emails delayed; token bucket empty on the mailer",
]
