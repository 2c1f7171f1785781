// Runs LLVMFuzzerTestOneInput over files and folders given on the command
// line, without libFuzzer: ctest replays the committed inflate corpus
// (tests/corpus/inflate) through the fuzz target's checks this way.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    int n = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(argv[i])) {
            for (const auto& e : std::filesystem::directory_iterator(argv[i]))
                if (e.is_regular_file()) files.push_back(e.path());
        } else {
            files.push_back(argv[i]);
        }
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            std::vector<uint8_t> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            // An allocation of exactly the input's size (a vector's capacity
            // may be larger), so ASan builds see any read past its end.
            std::unique_ptr<uint8_t[]> exact(new uint8_t[d.size() + (d.empty() ? 1 : 0)]);
            std::copy(d.begin(), d.end(), exact.get());
            LLVMFuzzerTestOneInput(exact.get(), d.size());
            ++n;
        }
    }
    std::printf("replayed %d inputs\n", n);
    return n > 0 ? 0 : 1;
}
