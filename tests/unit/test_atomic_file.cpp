// A write interrupted at any moment, even by SIGKILL, leaves the previous file intact.
#include <gradflow/atomic_file.hpp>
#include <gradflow/diagnostics.hpp>

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

using namespace gradflow;

namespace {

std::filesystem::path temp_folder(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gradflow-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("write_file_atomically replaces the whole file") {
  auto dir = temp_folder("atomic");
  std::string path = (dir / "f.txt").string();
  write_file_atomically(path, "first");
  write_file_atomically(path, "second, longer");
  CHECK(read_file(path) == "second, longer");
  // No temporary file is left behind.
  CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("write_file_atomically into a missing folder is an input error") {
  CHECK_THROWS_AS(write_file_atomically("/nonexistent-gradflow-dir/x.txt", "x"), InputError);
}

TEST_CASE("a writer killed with SIGKILL mid-write leaves the old file intact") {
  auto dir = temp_folder("sigkill");
  std::string path = (dir / "checkpoint.bin").string();
  const std::string old_contents = "the previous checkpoint";
  write_file_atomically(path, old_contents);

  // Several kill times so that some land inside the write of the large new file.
  for (int delay_ms : {1, 5, 20, 60}) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::string big(256u << 20, 'n');
      write_file_atomically(path, big);
      ::_exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::string now = read_file(path);
    bool old_intact = now == old_contents;
    bool new_complete = now.size() == (256u << 20);
    CHECK((old_intact || new_complete));
    if (new_complete) write_file_atomically(path, old_contents);
  }
  std::filesystem::remove_all(dir);
}
