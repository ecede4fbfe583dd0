#!/usr/bin/env bash
# Capture the real output of Alembic as test fixtures.
#   usage: alembic-capture.sh PYTHON ADMIN_URL OUTDIR
# PYTHON is a venv interpreter; ADMIN_URL is postgresql://user:pass@host:port/postgres
# (a superuser of a throwaway cluster). Writes OUTDIR/{migrated,at-head,current}.log.
set -euo pipefail
die() { echo "alembic-capture: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: $0 PYTHON ADMIN_URL OUTDIR"
PY=$1
export ADMIN_URL=$2 DB=alembic_capture_$$
mkdir -p "$3" && OUT=$(cd "$3" && pwd) || die "cannot create $3"

# Install alembic 1.x and psycopg2 into the venv only when missing.
"$PY" -c 'import alembic, psycopg2' 2>/dev/null ||
  "$PY" -m pip install --quiet --disable-pip-version-check 'alembic==1.*' psycopg2-binary ||
  die "pip install of alembic/psycopg2-binary failed"

# Run one SQL statement on the admin database (its errors never contain the password).
admin_sql() { "$PY" -c 'import os, sys, psycopg2
c = psycopg2.connect(os.environ["ADMIN_URL"]); c.autocommit = True
c.cursor().execute(sys.argv[1])' "$1"; }

WORK=$(mktemp -d) || die "mktemp failed"
cleanup() { admin_sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
admin_sql "CREATE DATABASE $DB" 2>/dev/null || die "cannot create database $DB (check ADMIN_URL)"

# Same server, new database: swap the path, keep any ?query (e.g. sslmode=prefer).
# The driver is named because SQLAlchemy 2.1 defaults postgresql:// to psycopg 3.
# The URL only lives in the environment, never in a file.
base=${ADMIN_URL%%\?*}
export ALEMBIC_DB_URL="postgresql+psycopg2://${base#*://}"
ALEMBIC_DB_URL="${ALEMBIC_DB_URL%/*}/$DB${ADMIN_URL#"$base"}"

# alembic.ini: script_location plus the logging section exactly as `alembic init`
# writes it (copied from the installed alembic's own "generic" template).
tmpl=$("$PY" -c 'import alembic, os; print(os.path.dirname(alembic.__file__))')/templates/generic/alembic.ini.mako
{ printf '[alembic]\nscript_location = %%(here)s\n\n'; sed -n '/^\[loggers\]/,$p' "$tmpl"; } > "$WORK/alembic.ini"
grep -q '^\[formatter_generic\]' "$WORK/alembic.ini" || die "logging section not found in $tmpl"

# env.py: online mode only, URL from the environment.
cat > "$WORK/env.py" <<'EOF'
import os
from logging.config import fileConfig
from alembic import context
from sqlalchemy import create_engine, pool
fileConfig(context.config.config_file_name)
engine = create_engine(os.environ["ALEMBIC_DB_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
EOF

# rev ID DOWN_REVISION MESSAGE TABLE: write versions/ID.py, which creates TABLE.
mkdir "$WORK/versions"
rev() { cat > "$WORK/versions/$1.py" <<EOF
"""$3"""
from alembic import op
revision = "$1"
down_revision = $2
branch_labels = None
depends_on = None
def upgrade():
    op.execute("CREATE TABLE $4 (id serial PRIMARY KEY)")
def downgrade():
    op.execute("DROP TABLE $4")
EOF
}
rev 0030_add_index None "add index" llm_metrics
rev 0031_metrics_learning '"0030_add_index"' "metrics learning tables" telemetry_events

# Capture: migrate, run again at head, then `current`.
cd "$WORK"
"$PY" -m alembic upgrade head > "$OUT/migrated.log" 2>&1 || die "upgrade failed (see $OUT/migrated.log)"
grep -q "Running upgrade" "$OUT/migrated.log" || die "migrated.log has no 'Running upgrade'"
"$PY" -m alembic upgrade head > "$OUT/at-head.log" 2>&1 || die "second upgrade failed (see $OUT/at-head.log)"
"$PY" -m alembic current > "$OUT/current.log" 2>&1 || die "current failed (see $OUT/current.log)"
echo "alembic-capture: wrote $OUT/{migrated,at-head,current}.log"
