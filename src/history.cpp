#include "datamig/history.hpp"

namespace datamig {

std::string_view to_string(RowStatus status) {
    switch (status) {
        case RowStatus::applied: return "applied";
        case RowStatus::running: return "running";
    }
    return "unknown";
}

std::string_view to_string(EventKind kind) {
    switch (kind) {
        case EventKind::apply: return "apply";
        case EventKind::rollback: return "rollback";
        case EventKind::fail: return "fail";
        case EventKind::resolve: return "resolve";
        case EventKind::retry: return "retry";
        case EventKind::pause: return "pause";
        case EventKind::resume: return "resume";
    }
    return "unknown";
}

}  // namespace datamig
