// Why a plugin file cannot be this machine's code, read from its ELF header before dlopen():
// for a library built for another CPU, glibc's dlopen() only says "No such file or directory".
#pragma once

#include <string>

namespace gradflow {

// "" if the file is an ELF object for this machine (or not ELF at all: dlopen explains that
// itself); otherwise a sentence such as "it was built for AArch64; this gradflow runs on
// x86-64". The file must already be known to be a regular file.
std::string elf_mismatch(const std::string& path);

}  // namespace gradflow
