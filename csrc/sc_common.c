#include "sc_common.h"

const char *sc_strerror(int code)
{
    switch (code) {
    case SC_OK: return "success";
    case SC_EARG: return "invalid argument";
    case SC_EBUFFER: return "output buffer too small";
    case SC_ECORRUPT: return "corrupt or malformed input";
    case SC_EUNSUPPORTED: return "unsupported rate, mode or codec";
    case SC_EUNAVAILABLE: return "codec library not available in this build";
    case SC_ENOMEM: return "out of memory";
    case SC_EINTERNAL: return "codec library error";
    default: return "unknown error";
    }
}
