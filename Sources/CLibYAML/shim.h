#ifndef COGRAM_CLIBYAML_SHIM_H
#define COGRAM_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
