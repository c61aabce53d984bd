// Small file helpers shared by the sources.
#pragma once

#include <string>

#include "status.h"

namespace sw {

// Reads a whole (small) file. A missing file yields "" and Ok.
Status ReadWholeFile(const std::string& path, std::string* out);

// Reads a whole file that must exist.
Status ReadExistingFile(const std::string& path, std::string* out);

}  // namespace sw
