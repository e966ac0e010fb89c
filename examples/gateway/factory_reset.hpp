#pragma once
// Factory reset: what the gateway keeps in its state directory is erased, and the next start is
// a first run (no account, the console on loopback, a new self-signed certificate, a new audit
// chain key, the demo PKI made again for the built-in default, the configuration saved from the
// console gone). A configuration file given with --config is the operator's, not state: it is
// left as it is.
//
// From the console (POST /api/v1/factory-reset, an administrator who gives their password
// again) the gateway stops and erases on its way out, after the audit trail has stored and
// sent its last record (the reset itself); `gw_gateway --factory-reset` does it with the
// gateway stopped.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace gw::examples {

/// What a reset removes, relative to the state directory.
inline const std::vector<std::string>& factory_reset_paths() {
    static const std::vector<std::string> paths{"mgmt", "audit", "pki", "gateway.json",
                                                "gateway.json.previous"};
    return paths;
}

/// Removes the state; "" or the first path that could not be removed (and why).
inline std::string erase_state(const std::string& state_dir, std::vector<std::string>* removed) {
    for (const auto& name : factory_reset_paths()) {
        const auto path = std::filesystem::path{state_dir} / name;
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) continue;
        std::filesystem::remove_all(path, ec);
        if (ec) return path.string() + ": " + ec.message();
        if (removed != nullptr) removed->push_back(path.string());
    }
    // The removals reach the disk before anyone is told they happened.
    const int dir = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return {};
}

/// `gw_gateway --factory-reset`: with the gateway stopped (its lock on <state>/audit.lock).
inline int factory_reset_command(const std::string& state_dir) {
    const auto lock_path = state_dir + "/audit.lock";
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0) {
        std::cerr << "gw_gateway: --factory-reset: " << lock_path << ": " << std::strerror(errno)
                  << "\n";
        return 1;
    }
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
        std::cerr << "gw_gateway: --factory-reset: a gateway runs with this state directory ("
                  << state_dir << "): stop it first, or reset from its console\n";
        return 1;
    }
    std::vector<std::string> removed;
    if (auto e = erase_state(state_dir, &removed); !e.empty()) {
        std::cerr << "gw_gateway: --factory-reset: " << e << "\n";
        return 1;
    }
    for (const auto& r : removed)
        std::cout << "removed " << r << "\n";
    std::cout << "gw_gateway: factory reset of " << state_dir
              << " done: the next start is a first run\n";
    return 0;
}

}  // namespace gw::examples
