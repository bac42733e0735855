#ifndef QMPBOOK_CYAML_SHIM_H
#define QMPBOOK_CYAML_SHIM_H
#include <yaml.h>
#endif
