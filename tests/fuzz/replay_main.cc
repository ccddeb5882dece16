// A stand-in for libFuzzer's main() where libFuzzer is not available (GCC builds): runs the
// target over every file of the given corpus directories, then over a fixed, seeded set of
// mutations of them (bit flips, byte changes, truncations, insertions of bytes and JSON tokens,
// chunk duplications and deletions, splices of two inputs). Same seed, same inputs, on every run
// and every machine, so a failure in CI reproduces locally with the printed command.
//
//   <target> [--mutations=N] [--seed=S] [--only=K] [--write=K:FILE] DIR_OR_FILE...
//
// --only=K runs just mutation K (as numbered in the failure message); --write=K:FILE saves that
// input to FILE (to add it to the corpus) without running anything.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define EXOSPHERE_REPLAY_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define EXOSPHERE_REPLAY_SANITIZED 1
#endif

namespace {

#ifdef EXOSPHERE_REPLAY_SANITIZED
constexpr bool kUnderSanitizer = true;
#else
constexpr bool kUnderSanitizer = false;
#endif

// splitmix64: tiny, fully specified, identical everywhere (unlike std::uniform_int_distribution).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, bound); bound > 0.
  size_t Below(size_t bound) { return static_cast<size_t>(Next() % bound); }

 private:
  uint64_t state_;
};

// Fragments that reach deeper into JSON, cron and placeholder grammars than random bytes do.
constexpr const char* kTokens[] = {
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "1.5",
    "NaN",
    "-Infinity",
    "\\u",
    "\\ud800",
    "\xff",
    "\xc3\xa9",
    "\x00",
    "\n",
    " ",
    "${{",
    "}}",
    ".outputs.",
    "store.",
    "*",
    "/",
    "-",
    "#",
    "L",
    "@daily",
    "9223372036854775808",
    "\"state_id\"",
    "\"secrets\"",
    "\"t\"",
    "\"body\"",
    "{\"a\":[{\"b\":{}}]}",
};

std::string Mutate(const std::vector<std::string>& corpus, Random& random) {
  std::string input = corpus[random.Below(corpus.size())];
  const size_t steps = 1 + random.Below(4);
  for (size_t step = 0; step < steps; ++step) {
    const size_t size = input.size();
    switch (random.Below(8)) {
      case 0:  // flip one bit
        if (size > 0) input[random.Below(size)] ^= static_cast<char>(1u << random.Below(8));
        break;
      case 1:  // replace a byte
        if (size > 0) input[random.Below(size)] = static_cast<char>(random.Below(256));
        break;
      case 2:  // truncate
        input.resize(size > 0 ? random.Below(size) : 0);
        break;
      case 3:  // insert random bytes
        input.insert(random.Below(size + 1), 1 + random.Below(4),
                     static_cast<char>(random.Below(256)));
        break;
      case 4: {  // insert a token
        const char* token = kTokens[random.Below(std::size(kTokens))];
        const size_t length = *token == '\0' ? 1 : std::strlen(token);
        input.insert(random.Below(size + 1), token, length);
        break;
      }
      case 5:  // duplicate a chunk
        if (size > 0) {
          const size_t begin = random.Below(size);
          const size_t length = 1 + random.Below(std::min<size_t>(size - begin, 64));
          const std::string chunk = input.substr(begin, length);
          input.insert(random.Below(size + 1), chunk);
        }
        break;
      case 6:  // delete a chunk
        if (size > 0) {
          const size_t begin = random.Below(size);
          input.erase(begin, 1 + random.Below(std::min<size_t>(size - begin, 16)));
        }
        break;
      default: {  // splice: our head, another input's tail
        const std::string& other = corpus[random.Below(corpus.size())];
        input =
            input.substr(0, random.Below(size + 1)) + other.substr(random.Below(other.size() + 1));
        break;
      }
    }
  }
  return input;
}

// The mutation being run, for the crash message; -1 while the corpus files run.
volatile long mutation_index_for_crash = -1;

// Names the failing mutation when a CHECK or a sanitizer aborts (ASan with abort_on_error=1, as
// scripts/test.sh sets). Only async-signal-safe calls.
void OnFatalSignal(int signal_number) {
  char text[96];
  long index = mutation_index_for_crash;
  char digits[24];
  int length = 0;
  do {
    digits[length++] = static_cast<char>('0' + index % 10);
    index /= 10;
  } while (index > 0 && length < 20);
  int used = 0;
  for (const char* p = "\nreplay: crashed on mutation "; *p != '\0'; ++p) text[used++] = *p;
  if (mutation_index_for_crash < 0) {
    for (const char* p = "(a corpus file, see above)"; *p != '\0'; ++p) text[used++] = *p;
  } else {
    while (length > 0) text[used++] = digits[--length];
  }
  text[used++] = '\n';
  if (::write(STDERR_FILENO, text, static_cast<size_t>(used)) < 0) {
    // Nothing more can be done inside a signal handler.
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

bool ReadFile(const std::filesystem::path& path, std::string& contents) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  contents.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return true;
}

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

bool StartsWith(const char* text, const char* prefix) {
  return std::strncmp(text, prefix, std::strlen(prefix)) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 2000;
  uint64_t seed = 20261128;
  long only = -1;
  long write_index = -1;
  std::string write_path;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (StartsWith(arg, "--mutations=")) {
      mutations = std::atol(arg + 12);
    } else if (StartsWith(arg, "--seed=")) {
      seed = std::strtoull(arg + 7, nullptr, 10);
    } else if (StartsWith(arg, "--only=")) {
      only = std::atol(arg + 7);
    } else if (StartsWith(arg, "--write=") && std::strchr(arg, ':') != nullptr) {
      write_index = std::atol(arg + 8);
      write_path = std::strchr(arg, ':') + 1;
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.emplace_back(arg);
    }
  }
  // Directory order differs between file systems; the mutations depend on the order.
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  for (const auto& path : files) {
    std::string contents;
    if (!ReadFile(path, contents)) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    corpus.push_back(std::move(contents));
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "replay: no corpus files given\n");
    return 2;
  }

  // Under a sanitizer only SIGABRT: its own SIGSEGV handler prints the better report.
  std::signal(SIGABRT, OnFatalSignal);
  if (!kUnderSanitizer) {
    for (int signal_number : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
      std::signal(signal_number, OnFatalSignal);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  if (only < 0 && write_index < 0) {
    for (size_t i = 0; i < corpus.size(); ++i) {
      std::fprintf(stderr, "replay: corpus file %s\n", files[i].c_str());
      Run(corpus[i]);
    }
  }
  Random random(seed);
  const long last = write_index >= 0 ? write_index : (only >= 0 ? only : mutations - 1);
  for (long k = 0; k <= last; ++k) {
    const std::string input = Mutate(corpus, random);
    if (k == write_index) {
      std::ofstream(write_path, std::ios::binary) << input;
      std::fprintf(stderr, "replay: wrote mutation %ld (%zu bytes) to %s\n", k, input.size(),
                   write_path.c_str());
      return 0;
    }
    if (only >= 0 && k != only) continue;
    // A line per input would drown CI logs; on a crash OnFatalSignal names the input (rerun it
    // with --only=K, save it with --write=K:FILE).
    if (only >= 0 || (write_index < 0 && k % 500 == 0))
      std::fprintf(stderr, "replay: mutation %ld\n", k);
    mutation_index_for_crash = k;
    Run(input);
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::fprintf(stderr, "replay: %zu corpus files and %ld mutations (seed %llu) in %lld ms\n",
               corpus.size(), only >= 0 ? 1L : mutations, static_cast<unsigned long long>(seed),
               static_cast<long long>(elapsed.count()));
  return 0;
}
