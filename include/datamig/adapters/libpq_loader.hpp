#pragma once
// libpq is loaded when the first PostgreSQL connection is made, not when datamig starts.
//
// libpq pulls in about twenty shared libraries (Kerberos, LDAP, GnuTLS, ...) whose loading
// and relocation took about 4 ms of every start, SQLite runs included. libpqxx is therefore
// linked statically, and the libpq functions it calls are small trampolines that jump to the
// real functions once load_libpq() has found them with dlopen()/dlsym().

namespace datamig {

// Loads libpq.so.5 and resolves every function libpqxx and the adapter use. Call before any
// libpq or libpqxx call; later calls return at once. Throws Unavailable when libpq or one of its
// functions is missing (libpq5 not installed).
void load_libpq();

}  // namespace datamig
