#include "integration/harness.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "image/command.h"

namespace it {

Run Exec(const std::vector<std::string>& argv) {
  image::CommandResult result = image::RunCommand(argv);
  return {result.exit_code, result.out, result.err};
}

Run Worlds(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {WORLDS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return Exec(argv);
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string TestImageDir() {
  const char* dir = std::getenv("WORLDS_TEST_IMAGE_DIR");
  std::string path = dir && *dir ? dir : std::string(WORLDS_SOURCE_DIR) + "/build/images";
  return std::filesystem::exists(path + "/tiny.qcow2") ? path : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string MakeTempDir(const std::string& name) {
  std::string dir = "/tmp/worlds-it-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0755);
  return dir;
}

std::string SourcePath(const std::string& relative) {
  return std::string(WORLDS_SOURCE_DIR) + "/" + relative;
}

}  // namespace it
