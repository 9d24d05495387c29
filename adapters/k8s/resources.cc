#include "adapters/k8s/resources.h"
