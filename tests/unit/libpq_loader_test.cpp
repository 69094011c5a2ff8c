// The lazy libpq loader: after load_libpq() the library is in the process and libpq functions
// called through the trampolines reach it. That datamig does not load libpq at start-up is
// checked end to end (tests/e2e/migrate_test.cpp), on the real binary.
#include "datamig/adapters/libpq_loader.hpp"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <string>

namespace {

bool libpq_in_process() {
    void* const library = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_NOLOAD);
    if (library != nullptr) ::dlclose(library);
    return library != nullptr;
}

}  // namespace

TEST_CASE("load_libpq loads libpq and resolves the functions libpqxx calls", "[libpq_loader]") {
    datamig::load_libpq();
    CHECK(libpq_in_process());
    // A call through the trampoline returns libpq's answer; libpq is built thread-safe.
    CHECK(PQisthreadsafe() == 1);
    CHECK(PQstatus(nullptr) == CONNECTION_BAD);
}

TEST_CASE("load_libpq may be called again", "[libpq_loader]") {
    datamig::load_libpq();
    CHECK_NOTHROW(datamig::load_libpq());
    CHECK(PQisthreadsafe() == 1);
}

TEST_CASE("load_libpq resolves the functions datamig calls itself", "[libpq_loader]") {
    datamig::load_libpq();
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse("host=db port=5433", &error);
    REQUIRE(options != nullptr);
    CHECK(error == nullptr);
    std::string port;
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (std::string(option->keyword) == "port" && option->val != nullptr) port = option->val;
    }
    PQconninfoFree(options);
    CHECK(port == "5433");
}
