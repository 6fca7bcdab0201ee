#ifndef CRDKAFKA_MOCK_H
#define CRDKAFKA_MOCK_H

// librdkafka's mock cluster, for development and tests only: a submodule (`import Crdkafka.Mock`) that the
// production targets never import.
#include "shim.h"
#include <librdkafka/rdkafka_mock.h>

#endif
