#pragma once
// Writing a file so that a reader (or a crash) never sees half of it: write a temporary file
// beside it, fsync it, rename it over the target, fsync the directory.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

namespace gw::examples {

/// Returns an empty string on success, else what failed.
inline std::string write_file_atomically(const std::filesystem::path& target,
                                         std::string_view content) {
    const auto fail = [&](const char* step) {
        return target.string() + ": " + step + ": " + std::strerror(errno);
    };
    const auto temp = target.string() + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

}  // namespace gw::examples
