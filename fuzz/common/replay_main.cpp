// A main() for compilers without libFuzzer (GCC): runs LLVMFuzzerTestOneInput once on every file
// named on the command line, or on every regular file of a named directory, so that a GCC build
// replays the committed corpora too. Options starting with '-' (libFuzzer's) are ignored.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.string().c_str());
        return false;
    }
    const std::vector<char> text{std::istreambuf_iterator<char>{in},
                                 std::istreambuf_iterator<char>{}};
    std::vector<std::uint8_t> bytes(text.begin(), text.end());
    // An empty vector's data() may be null; libFuzzer never passes null, so neither do we.
    bytes.reserve(1);
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t runs = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.starts_with("-")) {
            continue;
        }
        std::error_code ec;
        const std::filesystem::path path{arg};
        if (std::filesystem::is_directory(path, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::directory_iterator{path, ec}) {
                if (entry.is_regular_file(ec)) {
                    files.push_back(entry.path());
                }
            }
            if (ec) {
                std::fprintf(stderr, "cannot list %s\n", arg.c_str());
                ok = false;
            }
            for (const auto& f : files) {
                ok = run_file(f) && ok;
                ++runs;
            }
        } else {
            ok = run_file(path) && ok;
            ++runs;
        }
    }
    std::printf("replayed %zu inputs\n", runs);
    return ok && runs > 0 ? 0 : 1;
}
