#include <gw/security/work_queue.hpp>
