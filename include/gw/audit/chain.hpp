#pragma once
// The audit store's keyed hash chain and its per-install key.
//
//   mac_n = HMAC-SHA256(key, mac_{n-1} || sequence_n (8 bytes, big-endian) || payload_n)
//
// mac_0 (before the first record ever) is 32 zero bytes. Each record carries its mac_n, so
// deleting, reordering or editing a record breaks every MAC from there on, and nobody without the
// key can forge a new chain. The key is 32 random bytes from wolfCrypt's DRBG, kept in
// `<dir>/audit.key` (mode 0600, written atomically); a key file that group or others may read is
// refused: the chain is only as good as the secrecy of its key. It does not stop root on the
// device from reading the key and rewriting the whole chain; remote syslog (a copy off the box)
// is the answer to that.
//
// Blocking file I/O: the store's worker thread calls these, never the io thread.

#include <wolfssl/options.h>  // first: wolfCrypt's headers depend on the build's settings

#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <gw/audit/record.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>

namespace gw::audit {

using chain_mac = std::array<std::byte, mac_size>;
inline constexpr std::size_t chain_key_size = 32;
using chain_key = std::array<std::byte, chain_key_size>;

/// HMAC-SHA256 over the concatenation of `parts`; false if wolfCrypt refused (it does not for
/// these sizes, but a refusal must not pass as a MAC).
inline bool hmac_sha256(const chain_key& key,
                        std::initializer_list<std::span<const std::byte>> parts,
                        chain_mac& out) noexcept {
    Hmac hmac;
    if (wc_HmacInit(&hmac, nullptr, INVALID_DEVID) != 0) return false;
    bool ok = wc_HmacSetKey(&hmac, WC_SHA256, reinterpret_cast<const byte*>(key.data()),
                            static_cast<word32>(key.size())) == 0;
    for (const auto part : parts) {
        if (!ok) break;
        ok = wc_HmacUpdate(&hmac, reinterpret_cast<const byte*>(part.data()),
                           static_cast<word32>(part.size())) == 0;
    }
    ok = ok && wc_HmacFinal(&hmac, reinterpret_cast<byte*>(out.data())) == 0;
    wc_HmacFree(&hmac);
    return ok;
}

/// mac_n from mac_{n-1}, the record's sequence number and payload.
inline bool next_mac(const chain_key& key, const chain_mac& previous, std::uint64_t sequence,
                     std::span<const std::byte> payload, chain_mac& out) noexcept {
    std::array<std::byte, 8> seq{};
    detail::put_be(seq, 0, 8, sequence);
    return hmac_sha256(key, {previous, seq, payload}, out);
}

inline constexpr std::string_view key_file_name = "audit.key";

struct key_result {
    chain_key key{};
    bool created = false;  ///< a new key was generated (a new install, or the file was missing)
    std::string error;     ///< empty on success, else what failed
    bool ok() const noexcept { return error.empty(); }
};

namespace detail {

inline std::string errno_text(const std::string& what, const char* step, int error) {
    return what + ": " + step + ": " + std::strerror(error);
}

inline bool write_all(int fd, std::span<const std::byte> data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        const auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

inline bool fsync_directory(const std::filesystem::path& dir) noexcept {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return ok;
}

// The approach of gw/gateway/atomic_file.hpp (temp beside the target, fsync, rename, fsync the
// directory), repeated here because gw/audit sits beside gw/gateway, not above it.
inline std::string write_secret_atomically(const std::filesystem::path& target,
                                           std::span<const std::byte> content) {
    const std::string temp = target.string() + ".tmp";
    ::unlink(temp.c_str());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno_text(temp, "open", errno);
    if (!write_all(fd, content) || ::fsync(fd) != 0) {
        const int error = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return errno_text(temp, "write", error);
    }
    ::close(fd);
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        return errno_text(target.string(), "rename", error);
    }
    if (!fsync_directory(target.parent_path())) {
        return errno_text(target.parent_path().string(), "fsync directory", errno);
    }
    return {};
}

}  // namespace detail

/// Reads `<dir>/audit.key`, or creates it when it does not exist. Refuses a key file that is not
/// a regular file of exactly 32 bytes, or that group or others may read or write.
inline key_result load_or_create_key(const std::filesystem::path& dir) {
    key_result r;
    const auto path = dir / key_file_name;
    const std::string name = path.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        r.error = detail::errno_text(name, "open", errno);
        return r;
    }
    if (fd >= 0) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            r.error = detail::errno_text(name, "fstat", errno);
        } else if (!S_ISREG(st.st_mode)) {
            r.error = name + ": not a regular file: refusing it as the audit key";
        } else if ((st.st_mode & 077) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
            r.error = name + ": mode " + mode +
                      " lets group or others read or write the audit key: refusing it "
                      "(chmod 600, and consider the key disclosed)";
        } else if (st.st_size != static_cast<off_t>(chain_key_size)) {
            r.error = name + ": " + std::to_string(st.st_size) + " bytes, an audit key has " +
                      std::to_string(chain_key_size);
        } else {
            std::size_t done = 0;
            while (done < r.key.size()) {
                const auto n = ::read(fd, r.key.data() + done, r.key.size() - done);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    r.error = n < 0 ? detail::errno_text(name, "read", errno)
                                    : name + ": read: file shrank while being read";
                    break;
                }
                done += static_cast<std::size_t>(n);
            }
        }
        ::close(fd);
        return r;
    }
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) {
        r.error = name + ": wolfCrypt RNG initialisation failed: no key generated";
        return r;
    }
    const bool generated = wc_RNG_GenerateBlock(&rng, reinterpret_cast<byte*>(r.key.data()),
                                                static_cast<word32>(r.key.size())) == 0;
    wc_FreeRng(&rng);
    if (!generated) {
        r.error = name + ": wolfCrypt RNG failed: no key generated";
        return r;
    }
    r.error = detail::write_secret_atomically(path, r.key);
    r.created = r.ok();
    return r;
}

}  // namespace gw::audit
