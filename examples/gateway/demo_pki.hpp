#pragma once
// The demo PKI of the built-in default configuration: on first start, in <state dir>/pki, a CA,
// a server certificate for 127.0.0.1 and client certificates "operator" and "viewer" (with the
// Modbus/TCP Security role extension 1.3.6.1.4.1.50316.802.1) and "guest" (no role), so that
// the modbus_tls listener of the default can be tried at once with any TLS master.
//
// Made by the openssl command-line tool (Debian's wolfSSL is built without certificate
// generation), run with an argument vector, never a shell. Before the io thread starts: it is a
// one-time cost at start-up. Crash-safe: everything is made in pki.partial-XXXXXX, each file
// fsync'ed, then that directory is renamed to pki and the state directory fsync'ed; a start
// killed half-way leaves only a partial directory, removed by the next start. Private keys are
// 0600 and the directories 0700; a key that has become readable by others is an error.

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace gw::examples {

/// What the demo PKI holds, as the default configuration and the start-up message name it.
struct demo_client {
    const char* name;  ///< file stem and subject CN
    const char* role;  ///< certificate role; empty: none
};
inline constexpr std::array<demo_client, 3> demo_clients{
    {{"operator", "operator"}, {"viewer", "viewer"}, {"guest", ""}}};

namespace detail {

inline std::string errno_text(int e) {
    return std::error_code{e, std::generic_category()}.message();
}

/// Runs argv[0] (found in PATH) with `argv`, stdout and stderr into `log`; "" or why it failed.
inline std::string run(const std::vector<std::string>& args, const std::string& log) {
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return "cannot run " + args[0] + ": " + errno_text(rc) +
               (rc == ENOENT ? " (Debian: apt-get install openssl)" : "");
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return "waiting for " + args[0] + ": " + errno_text(errno);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    std::ifstream in{log};
    std::stringstream text;
    text << in.rdbuf();
    std::string tail = text.str();
    if (tail.size() > 400) tail = tail.substr(tail.size() - 400);
    return args[0] + " " + args[1] + " failed: " + tail;
}

inline std::string write_text(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::trunc};
    out << text;
    out.close();
    return out ? std::string{} : "cannot write " + path;
}

inline std::string fsync_path(const std::string& path, bool directory) {
    const int fd =
        ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return "cannot open " + path + ": " + errno_text(errno);
    const bool ok = ::fsync(fd) == 0;
    const int e = errno;
    ::close(fd);
    return ok ? std::string{} : "fsync " + path + ": " + errno_text(e);
}

/// The key files of the PKI must stay private: 0600 or stricter.
inline std::string check_private(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return path + ": " + errno_text(errno);
    if ((st.st_mode & 077) != 0) {
        std::array<char, 8> mode{};
        std::snprintf(mode.data(), mode.size(), "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return path + " is readable by group or others (mode " + mode.data() + "): chmod 600 it";
    }
    return {};
}

inline std::vector<std::string> key_files() {
    std::vector<std::string> keys{"ca.key", "server.key"};
    for (const auto& c : demo_clients)
        keys.push_back(std::string{c.name} + ".key");
    return keys;
}

}  // namespace detail

/// Makes <state_dir>/pki unless it is complete already; "" or why not. The state directory is
/// created 0700 if missing.
inline std::string ensure_demo_pki(const std::string& state_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(state_dir, ec)) {
        fs::create_directories(state_dir, ec);
        if (ec) return "state directory " + state_dir + ": " + ec.message();
        ::chmod(state_dir.c_str(), 0700);
    }
    const std::string pki = state_dir + "/pki";
    if (fs::exists(pki + "/complete", ec)) {
        for (const auto& key : detail::key_files())
            if (auto error = detail::check_private(pki + "/" + key); !error.empty()) return error;
        return {};
    }
    if (fs::exists(pki, ec))
        return pki + " exists but is not a complete demo PKI (no 'complete' file): move it away";
    // Left by a start that was killed while making the PKI.
    for (const auto& entry : fs::directory_iterator(state_dir, ec)) {
        if (entry.path().filename().string().rfind("pki.partial-", 0) == 0)
            fs::remove_all(entry.path(), ec);
    }

    std::string tmp_template = state_dir + "/pki.partial-XXXXXX";
    if (::mkdtemp(tmp_template.data()) == nullptr)
        return "cannot create a directory in " + state_dir + ": " + detail::errno_text(errno);
    const std::string tmp = tmp_template;  // mkdtemp: mode 0700
    const std::string log = tmp + "/openssl.log";
    const auto in = [&](const std::string& f) { return tmp + "/" + f; };
    const std::string oid = "1.3.6.1.4.1.50316.802.1";

    // Keys are created 0600 by openssl under this umask, before any byte is written.
    const mode_t old_umask = ::umask(077);
    const auto make = [&]() -> std::string {
        const auto key = [&](const std::string& name) {
            return detail::run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-out", in(name + ".key")},
                               log);
        };
        if (auto e = key("ca"); !e.empty()) return e;
        if (auto e = detail::run(
                {"openssl", "req", "-x509", "-new", "-key", in("ca.key"), "-days", "3650", "-subj",
                 "/CN=gw demo CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                 "keyUsage=critical,keyCertSign,cRLSign", "-out", in("ca.crt")},
                log);
            !e.empty())
            return e;
        const auto issue = [&](const std::string& name, const std::string& extensions) {
            if (auto e = key(name); !e.empty()) return e;
            if (auto e = detail::write_text(in(name + ".ext"), "[ext]\n" + extensions); !e.empty())
                return e;
            if (auto e = detail::run({"openssl", "req", "-new", "-key", in(name + ".key"), "-subj",
                                      "/CN=" + name, "-out", in(name + ".csr")},
                                     log);
                !e.empty())
                return e;
            auto e = detail::run({"openssl",
                                  "x509",
                                  "-req",
                                  "-in",
                                  in(name + ".csr"),
                                  "-CA",
                                  in("ca.crt"),
                                  "-CAkey",
                                  in("ca.key"),
                                  "-CAcreateserial",
                                  "-CAserial",
                                  in("ca.srl"),
                                  "-days",
                                  "825",
                                  "-sha256",
                                  "-extfile",
                                  in(name + ".ext"),
                                  "-extensions",
                                  "ext",
                                  "-out",
                                  in(name + ".crt")},
                                 log);
            std::error_code ignored;
            fs::remove(in(name + ".csr"), ignored);
            fs::remove(in(name + ".ext"), ignored);
            return e;
        };
        const std::string leaf = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n";
        if (auto e = issue("server", leaf + "extendedKeyUsage=serverAuth\n"
                                            "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            !e.empty())
            return e;
        for (const auto& c : demo_clients) {
            std::string ext = leaf + "extendedKeyUsage=clientAuth\n";
            if (*c.role != '\0') ext += oid + "=ASN1:UTF8String:" + c.role + "\n";
            if (auto e = issue(c.name, ext); !e.empty()) return e;
        }
        return {};
    };
    std::string error = make();
    ::umask(old_umask);
    if (error.empty()) {
        fs::remove(in("ca.srl"), ec);
        fs::remove(log, ec);
        for (const auto& key : detail::key_files())
            if (error.empty()) error = detail::check_private(in(key));
    }
    if (error.empty()) error = detail::write_text(in("complete"), "gw demo PKI\n");
    if (error.empty()) {
        for (const auto& entry : fs::directory_iterator(tmp, ec))
            if (error.empty()) error = detail::fsync_path(entry.path().string(), false);
    }
    if (error.empty()) error = detail::fsync_path(tmp, true);
    if (error.empty() && ::rename(tmp.c_str(), pki.c_str()) != 0)
        error = "rename " + tmp + " -> " + pki + ": " + detail::errno_text(errno);
    if (error.empty()) error = detail::fsync_path(state_dir, true);
    if (!error.empty()) {
        fs::remove_all(tmp, ec);
        return "demo PKI in " + pki + ": " + error;
    }
    return {};
}

}  // namespace gw::examples
