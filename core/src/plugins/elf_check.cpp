#include "plugins/elf_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cstdint>
#include <optional>

namespace gradflow {
namespace {

// What an ELF header says about the code in a file.
struct ElfHead {
  unsigned char elf_class = ELFCLASSNONE;
  unsigned char data = ELFDATANONE;
  uint16_t machine = EM_NONE;
};

std::optional<ElfHead> read_elf_head(const char* path) {
  // e_ident (16 bytes), e_type (2), e_machine (2): the same offsets in 32- and 64-bit files.
  std::array<unsigned char, 20> head{};
  int fd = ::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n < static_cast<ssize_t>(head.size()) || head[EI_MAG0] != ELFMAG0 ||
      head[EI_MAG1] != ELFMAG1 || head[EI_MAG2] != ELFMAG2 || head[EI_MAG3] != ELFMAG3)
    return std::nullopt;
  const bool little = head[EI_DATA] == ELFDATA2LSB;
  return ElfHead{head[EI_CLASS], head[EI_DATA],
                 little ? static_cast<uint16_t>(head[18] | head[19] << 8)
                        : static_cast<uint16_t>(head[18] << 8 | head[19])};
}

// The running program's own header is the truth about this machine, for every CPU there is.
// Without /proc, class and byte order still follow from the compiler; the machine is left to
// dlopen() to judge.
const ElfHead& host_head() {
  static const ElfHead host =
      read_elf_head("/proc/self/exe")
          .value_or(ElfHead{sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32,
                            std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB,
                            EM_NONE});
  return host;
}

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "32-bit x86";
    case EM_AARCH64:
      return "AArch64 (64-bit ARM)";
    case EM_ARM:
      return "32-bit ARM";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC64:
      return "64-bit PowerPC";
    case EM_PPC:
      return "32-bit PowerPC";
    case EM_S390:
      return "IBM Z (s390)";
    case EM_MIPS:
      return "MIPS";
    default:
      return "ELF machine " + std::to_string(machine);
  }
}

}  // namespace

std::string elf_mismatch(const std::string& path) {
  const std::optional<ElfHead> file = read_elf_head(path.c_str());
  if (!file) return "";
  const ElfHead& host = host_head();
  if (file->elf_class != host.elf_class)
    return std::string("it is a ") + (file->elf_class == ELFCLASS32 ? "32-bit" : "64-bit") +
           " library; this gradflow is " + (host.elf_class == ELFCLASS64 ? "64-bit" : "32-bit");
  if (file->data != host.data)
    return "it was built for a machine of the other byte order (endianness)";
  if (host.machine == EM_NONE || file->machine == host.machine) return "";
  return "it was built for " + machine_name(file->machine) + "; this gradflow runs on " +
         machine_name(host.machine) + ": rebuild the plugin on this machine";
}

}  // namespace gradflow
