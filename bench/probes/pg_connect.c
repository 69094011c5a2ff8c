/*
 * pg_connect URL: the floor of any libpq client's run on PostgreSQL.
 *
 * It does what every run of a migration tool that uses libpq must do, and nothing else: start a
 * process, load libpq and the libraries it links (Kerberos, LDAP, TLS), connect (TCP, and with
 * SCRAM-SHA-256 libpq's client-side PBKDF2 of 4096 iterations), send one query and disconnect.
 * bench/run.sh times it next to the tools' no-op `migrate`, which cannot take less.
 * It is built there with the system cc; on failure it prints libpq's message and exits 1.
 */
#include <stdio.h>

#include <libpq-fe.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: pg_connect URL\n");
        return 2;
    }
    PGconn* conn = PQconnectdb(argv[1]);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "pg_connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    PGresult* result = PQexec(conn, "SELECT 1");
    const int ok = PQresultStatus(result) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "pg_connect: SELECT 1: %s", PQerrorMessage(conn));
    PQclear(result);
    PQfinish(conn);
    return ok ? 0 : 1;
}
