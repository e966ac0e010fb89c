#pragma once
// Writing a file so that a reader (or a crash) never sees half of it: write a temporary file
// beside it (same directory, so the rename cannot cross file systems), fsync it, rename it over
// the target, fsync the directory. Blocking disk I/O: call it from a worker thread, never from
// the io thread (status_writer.hpp does).

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

namespace gw::gateway {

/// Returns an empty string on success, else what failed. `mode` is for a new file (before the
/// umask): 0644 suits public data such as the status; pass 0600 for anything secret.
inline std::string write_file_atomically(const std::filesystem::path& target,
                                         std::string_view content, ::mode_t mode = 0644) {
    const auto fail = [&](const char* step) {
        return target.string() + ": " + step + ": " + std::strerror(errno);
    };
    const auto temp = target.string() + ".tmp";
    // A stale temporary file (a crash mid-write) may have another mode: start afresh.
    ::unlink(temp.c_str());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail("open");
    std::size_t written = 0;
    while (written < content.size()) {
        const auto n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            const auto error = fail("write");
            ::close(fd);
            return error;
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const auto error = fail("fsync");
        ::close(fd);
        return error;
    }
    ::close(fd);
    if (::rename(temp.c_str(), target.c_str()) != 0) return fail("rename");
    const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path{"."};
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return fail("open directory");
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return fail("fsync directory");
    return {};
}

}  // namespace gw::gateway
