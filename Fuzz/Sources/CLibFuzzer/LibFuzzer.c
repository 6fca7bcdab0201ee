// Declarations only (include/LibFuzzer.h); the definitions come from libFuzzer, linked by -sanitize=fuzzer.
#include "LibFuzzer.h"
