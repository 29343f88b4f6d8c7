/* A reference point for bench/run, not part of `app`: the smallest program that
 * links libpq (and so pays the dynamic loader for libpq and every library libpq
 * needs: Kerberos, LDAP, GnuTLS...) and prints PQlibVersion(). `app --version`
 * is timed against it: what a start costs before any work.
 *
 * Built by bench/run: cc -O2 bench/pq_version.c -I$(pg_config --includedir) -lpq
 */
#include <libpq-fe.h>
#include <stdio.h>

int main(void) {
  printf("libpq %d\n", PQlibVersion());
  return 0;
}
