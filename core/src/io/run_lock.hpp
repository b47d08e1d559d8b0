// One run at a time in an output folder. The lock is an flock on "<folder>/.gradflow.lock",
// held until the process ends (a killed run releases it with its descriptor). The file also
// says who holds it and which temporary token that run uses, so that:
//  - a second run into the same folder stops at once, naming the folder and the holder's pid;
//  - the next run removes the temporaries a killed run left ("<file>.tmp.<its token>") and
//    nothing else: a user's "notes.tmp.123" never matches a 32-digit random token.
#pragma once

#include <string>

namespace gradflow {

inline constexpr const char* kRunLockName = ".gradflow.lock";

class RunLock {
 public:
  // Takes the lock of an existing folder, checks that files can be created in it and removes
  // the previous holder's leftover temporaries. Throws InputError naming the folder.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace gradflow
