#include "datamig/error.hpp"

#include <csignal>

namespace datamig {

Stopped::Stopped(int signal_number)
    : Error(signal_number == SIGINT ? Exit::interrupted : Exit::terminated,
            signal_number == SIGINT ? "stopped by SIGINT" : "stopped by SIGTERM"),
      signal_(signal_number) {}

}  // namespace datamig
