/* pgschema.c: the PostgreSQL backend's tables, created on first use and upgraded in code, one version at a time. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "storage/pg.h"

/* A constant of our own for the transaction lock that serialises schema
 * work among the processes that connect at once ("autocert" in ASCII). */
#define SCHEMA_LOCK "6175746f63657274"

/*
 * Version 1:
 *   autocert_sets   one row a set: its key ("certs/example.com"), its
 *                   generation (bumped by every whole replacement), when
 *                   it last changed.  Keys compare bytewise (COLLATE "C"),
 *                   so a prefix is a range the primary key serves.
 *   autocert_items  the items of a set; `secret` marks private keys,
 *                   `sealed` says how data is stored: 0 as given, 1
 *                   AES-256-GCM (pgcrypt.c) bound to set, name and
 *                   generation.
 * Version 2:
 *   autocert_challenges  the live challenges of the fleet (pgshare.c): a
 *                   node publishes one before it asks the CA to validate,
 *                   and whichever node the validation reaches answers it.
 * Each entry of `upgrades` takes the schema from version i to i + 1.
 */
static const char *const upgrades[] = {
    "CREATE TABLE autocert_sets ("
    " key text COLLATE \"C\" PRIMARY KEY,"
    " generation bigint NOT NULL,"
    " updated_at timestamptz NOT NULL DEFAULT now());"
    "CREATE TABLE autocert_items ("
    " set_key text COLLATE \"C\" NOT NULL REFERENCES autocert_sets (key) ON DELETE CASCADE,"
    " name text NOT NULL,"
    " data bytea NOT NULL,"
    " secret boolean NOT NULL,"
    " sealed smallint NOT NULL DEFAULT 0,"
    " PRIMARY KEY (set_key, name));",
    "CREATE TABLE autocert_challenges ("
    " token text COLLATE \"C\" PRIMARY KEY,"
    " type text NOT NULL,"
    " identifier text NOT NULL,"
    " key_auth text NOT NULL,"
    " expires_at timestamptz NOT NULL);"
    "CREATE INDEX autocert_challenges_ident ON autocert_challenges (type, lower(identifier));",
};

/* The version the database holds: 0 for none yet. */
static autocert_err current(ac_pg *pg, int *version, char *detail)
{
    autocert_err rc;
    PGresult *res = ac_pg_exec(pg, "SELECT max(version) FROM autocert_schema", 0, NULL, NULL,
                               NULL, 0, PGRES_TUPLES_OK, &rc, detail);

    *version = 0;
    if (res == NULL)
        return rc;
    if (ac_pq.ntuples(res) == 1 && !ac_pq.getisnull(res, 0, 0))
        *version = atoi(ac_pq.getvalue(res, 0, 0));
    ac_pq.clear(res);
    return AUTOCERT_OK;
}

/* Runs the upgrades from `from` to the current version. */
static autocert_err upgrade(ac_pg *pg, int from, char *detail)
{
    char v[16];
    const char *vals[1] = {v};
    autocert_err rc;
    PGresult *res;
    int i;

    for (i = from; i < AC_PG_SCHEMA_VERSION; i++) {
        res = ac_pq.exec(pg->conn, upgrades[i]);
        if (res == NULL || ac_pq.result_status(res) != PGRES_COMMAND_OK) {
            ac_pg_detail(pg, detail, "cannot create the tables in database",
                         res ? ac_pq.result_error_message(res) : ac_pq.error_message(pg->conn));
            ac_pq.clear(res);
            return AUTOCERT_ERR_IO;
        }
        ac_pq.clear(res);
    }
    snprintf(v, sizeof(v), "%d", AC_PG_SCHEMA_VERSION);
    res = ac_pg_exec(pg, "DELETE FROM autocert_schema", 0, NULL, NULL, NULL, 0,
                     PGRES_COMMAND_OK, &rc, detail);
    ac_pq.clear(res);
    if (rc == AUTOCERT_OK) {
        res = ac_pg_exec(pg, "INSERT INTO autocert_schema (version) VALUES ($1::integer)", 1,
                         vals, NULL, NULL, 0, PGRES_COMMAND_OK, &rc, detail);
        ac_pq.clear(res);
    }
    return rc;
}

/* Takes the schema's transaction lock (a transaction is open). */
static autocert_err schema_lock(ac_pg *pg, char *detail)
{
    autocert_err rc;
    PGresult *res = ac_pg_exec(pg, "SELECT pg_advisory_xact_lock(x'" SCHEMA_LOCK "'::bigint)", 0,
                               NULL, NULL, NULL, 0, PGRES_TUPLES_OK, &rc, detail);

    ac_pq.clear(res);
    return rc;
}

autocert_err ac_pg_schema(ac_pg *pg, char *detail)
{
    autocert_err rc;
    int version = 0;

    if ((rc = ac_pg_cmd(pg, "BEGIN", detail)) != AUTOCERT_OK)
        return rc;
    if ((rc = schema_lock(pg, detail)) == AUTOCERT_OK &&
        (rc = ac_pg_cmd(pg, "CREATE TABLE IF NOT EXISTS autocert_schema (version integer NOT NULL)",
                        detail)) == AUTOCERT_OK &&
        (rc = current(pg, &version, detail)) == AUTOCERT_OK) {
        if (version > AC_PG_SCHEMA_VERSION) {
            char msg[120];
            snprintf(msg, sizeof(msg), "its tables are of version %d, this autocert knows %d",
                     version, AC_PG_SCHEMA_VERSION);
            ac_pg_detail(pg, detail, "cannot use database", msg);
            rc = AUTOCERT_ERR_UNSUPPORTED;
        } else if (version < AC_PG_SCHEMA_VERSION) {
            rc = upgrade(pg, version, detail);
        }
    }
    if (rc == AUTOCERT_OK)
        return ac_pg_cmd(pg, "COMMIT", detail);
    ac_pg_rollback(pg);
    return rc;
}

autocert_err ac_pg_ready(ac_pg *pg, char *detail)
{
    int fresh = 0;
    autocert_err rc = ac_pg_connect(pg, &fresh, detail);

    if (rc == AUTOCERT_OK && fresh && (rc = ac_pg_schema(pg, detail)) != AUTOCERT_OK)
        ac_pg_drop(pg);
    return rc;
}
