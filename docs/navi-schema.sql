-- A STAND-IN for NAVI's real Alembic migrations (up to 0031_metrics_learning),
-- so pg-check and the demo have a database of the right shape to check.
-- It is not NAVI's schema: against staging, pg-check reads whatever the real
-- migrations created. Loaded by scripts/demo.sh and the tests.
CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) PRIMARY KEY);
INSERT INTO alembic_version (version_num) VALUES ('0031_metrics_learning') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS users (id bigserial PRIMARY KEY, email text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS workspaces (id bigserial PRIMARY KEY, user_id bigint REFERENCES users(id), path text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS conversations (id bigserial PRIMARY KEY, workspace_id bigint REFERENCES workspaces(id), created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS messages (id bigserial PRIMARY KEY, conversation_id bigint REFERENCES conversations(id), role text NOT NULL, content text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
-- payload holds a Fernet token made with AUDIT_ENCRYPTION_KEY.
CREATE TABLE IF NOT EXISTS audit_logs (id bigserial PRIMARY KEY, actor text NOT NULL, action text NOT NULL, payload text, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS llm_metrics (
  id bigserial PRIMARY KEY, request_id text, provider text NOT NULL, model text NOT NULL,
  input_tokens integer, output_tokens integer, latency_ms double precision, cost_usd double precision,
  status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS telemetry_events (id bigserial PRIMARY KEY, event_type text NOT NULL, payload jsonb, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS learning_feedback (id bigserial PRIMARY KEY, message_id bigint REFERENCES messages(id), rating smallint, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS metric_rollups (id bigserial PRIMARY KEY, metric text NOT NULL, bucket timestamptz NOT NULL, value double precision NOT NULL);
