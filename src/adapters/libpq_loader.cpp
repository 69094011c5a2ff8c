#include "datamig/adapters/libpq_loader.hpp"

#ifdef DATAMIG_LAZY_LIBPQ

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "datamig/error.hpp"

// Every libpq function the statically linked libpqxx calls, and the adapter's own
// (PQconninfoParse, PQconninfoFree). A libpqxx that needs one more fails to link with
// "undefined reference to `PQ...'": add it here.
#define DATAMIG_LIBPQ_FUNCTIONS(X)                                                                          \
    X(PQbackendPID) X(PQcancel) X(PQclear) X(PQclientEncoding) X(PQcmdStatus) X(PQcmdTuples)                 \
    X(PQconninfoFree) X(PQconninfoParse)                                                                    \
    X(PQconnectPoll) X(PQconnectStart) X(PQconnectdb) X(PQconsumeInput) X(PQdb) X(PQencryptPassword)        \
    X(PQendcopy) X(PQerrorMessage) X(PQescapeByteaConn) X(PQescapeIdentifier) X(PQescapeStringConn)          \
    X(PQexec) X(PQexecParams) X(PQexecPrepared) X(PQfinish) X(PQfname) X(PQfnumber) X(PQfreeCancel)         \
    X(PQfreemem) X(PQftable) X(PQftablecol) X(PQftype) X(PQgetCancel) X(PQgetCopyData) X(PQgetResult)       \
    X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQhost) X(PQisBusy) X(PQisthreadsafe) X(PQnfields)        \
    X(PQnotifies) X(PQntuples) X(PQoidValue) X(PQport) X(PQprepare) X(PQprotocolVersion) X(PQputCopyData)   \
    X(PQputCopyEnd) X(PQreset) X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus)              \
    X(PQsendQuery) X(PQserverVersion) X(PQsetClientEncoding) X(PQsetErrorVerbosity)                         \
    X(PQsetNoticeProcessor) X(PQsocket) X(PQstatus) X(PQtrace) X(PQunescapeBytea) X(PQuntrace) X(PQuser)    \
    X(pg_encoding_to_char)

extern "C" {

// A call before load_libpq() is a bug in datamig: say so instead of jumping to address 0.
[[noreturn]] __attribute__((visibility("hidden"))) void datamig_libpq_not_loaded() {
    std::fputs("datamig: internal error: libpq called before load_libpq()\n", stderr);
    std::abort();
}

// Where each function really is; the trampolines below jump through these.
#define DATAMIG_DEFINE_ADDRESS(name) \
    __attribute__((visibility("hidden"))) void* datamig_libpq_##name = reinterpret_cast<void*>(&datamig_libpq_not_loaded);
DATAMIG_LIBPQ_FUNCTIONS(DATAMIG_DEFINE_ADDRESS)

}  // extern "C"

// One indirect jump per function: the arguments stay in their registers, so no signature is
// needed and the real function returns straight to libpqxx.
#if defined(__x86_64__)
#define DATAMIG_TRAMPOLINE(name)                                           \
    asm(".text\n.globl " #name "\n.type " #name ", @function\n" #name ":\n" \
        "    jmp *datamig_libpq_" #name "(%rip)\n"                         \
        ".size " #name ", . - " #name "\n");
#elif defined(__aarch64__)
#define DATAMIG_TRAMPOLINE(name)                                           \
    asm(".text\n.globl " #name "\n.type " #name ", %function\n" #name ":\n" \
        "    adrp x16, datamig_libpq_" #name "\n"                          \
        "    ldr x16, [x16, :lo12:datamig_libpq_" #name "]\n"              \
        "    br x16\n"                                                     \
        ".size " #name ", . - " #name "\n");
#else
#error "lazy libpq loading has trampolines for x86_64 and aarch64 only; configure with -DDATAMIG_LAZY_LIBPQ=OFF"
#endif
DATAMIG_LIBPQ_FUNCTIONS(DATAMIG_TRAMPOLINE)

namespace datamig {
namespace {

struct Function {
    const char* name;
    void** address;
};

#define DATAMIG_FUNCTION_ENTRY(name) {#name, &datamig_libpq_##name},
const Function functions[] = {DATAMIG_LIBPQ_FUNCTIONS(DATAMIG_FUNCTION_ENTRY)};

void resolve_functions() {
    // The library stays loaded for the rest of the process: connections may outlive any scope.
    void* const library = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        throw Unavailable(std::string("cannot load the PostgreSQL client library: ") + ::dlerror() +
                          " (install libpq5)");
    }
    for (const Function& function : functions) {
        void* const found = ::dlsym(library, function.name);
        if (found == nullptr) {
            throw Unavailable(std::string("the PostgreSQL client library libpq.so.5 has no ") + function.name +
                              "; it is older than datamig needs");
        }
        *function.address = found;
    }
}

}  // namespace

void load_libpq() {
    static std::once_flag resolved;  // an exception leaves it unset, so a later call tries again
    std::call_once(resolved, resolve_functions);
}

}  // namespace datamig

#else  // libpq is an ordinary dependency, loaded with the program.

namespace datamig {
void load_libpq() {}
}  // namespace datamig

#endif
