// The C API of libyaml, as installed by Debian's libyaml-dev.
#include <yaml.h>
