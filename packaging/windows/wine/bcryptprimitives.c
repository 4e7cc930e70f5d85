/*
 * Stand-in for Windows' bcryptprimitives.dll, for running the Windows build under Wine 8 only.
 *
 * Wine 8.0 (Debian 12) has no bcryptprimitives.dll; Rust's standard library, inside cryptography's
 * extension module, imports ProcessPrng from it (Windows 10 and later have it). This one fills the
 * buffer from RtlGenRandom (advapi32's SystemFunction036), which Wine implements.
 *
 * Never shipped: scripts/windows.py puts it in the throw-away Wine prefix's system32, and checks
 * that the frozen app's folder holds no copy of it.
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
