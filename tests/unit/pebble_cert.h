/* pebble_cert.h: a certificate Pebble v2.10.1 issued (profile shortlived, 160 hours) and its RFC 9773 certificate ID, which Pebble's renewalInfo answered for. */
#ifndef AC_PEBBLE_CERT_H
#define AC_PEBBLE_CERT_H

static const char PEBBLE_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICVDCCATygAwIBAgIIOahyDS0qbl4wDQYJKoZIhvcNAQELBQAwKDEmMCQGA1UE\n"
    "AxMdUGViYmxlIEludGVybWVkaWF0ZSBDQSA3Nzc5ODYwHhcNMjYxMjA2MDgwMDEx\n"
    "WhcNMjYxMjEzMDAwMDEwWjAAMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvYYA\n"
    "iW3/Y0FcKNLkyUnhiU/0uUzwJcm/8lJmqsCKDywS+A97w/OeHz1QdLqwwB3ZoI8q\n"
    "03T6tt7zWeTa7yXQHKN1MHMwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsG\n"
    "AQUFBwMBMAwGA1UdEwEB/wQCMAAwHwYDVR0jBBgwFoAUAcuq+F/nl6SE9X1cCC/M\n"
    "Mnk+AC0wHQYDVR0RAQH/BBMwEYIPb25lLmV4YW1wbGUub3JnMA0GCSqGSIb3DQEB\n"
    "CwUAA4IBAQCrVZQb3aN0Sg6G1JGFQZ4EtZQtc59fnCbg5/a/lYs3Jr5kkCz7fia/\n"
    "2KOMnieT9fVtlMOSwzlS8I8YrPr9xzzd8SmPuXJbQte+0H8KHdC7TIOQQIHFkcnl\n"
    "s73pl+zxIeqpp1cfWjcuSBIjmD8ndDji2bhb9iuMo2hTKJ4AQo6bQtV0rjlzkRK9\n"
    "T9rH+r/Lz97SfZqAxtxyNN3xMRiPVsZPNu8D20Qy8I6RnVPoxDdk+P/YKkn9glVV\n"
    "m4jQuyzrBUKgyNoxioqEa964AkhSLl5k/iPhGg8Wul25H9Dhbg8qt2l0lEBPRtIo\n"
    "A8f1jGj+vvANMGbtS/5lGl+IFPLXM+k2\n"
    "-----END CERTIFICATE-----\n"
    ;

/* serial 39A8720D2D2A6E5E, authorityKeyIdentifier keyid:
 * 01:CB:AA:F8:5F:E7:97:A4:84:F5:7D:5C:08:2F:CC:32:79:3E:00:2D */
#define PEBBLE_CERT_ID "Acuq-F_nl6SE9X1cCC_MMnk-AC0.OahyDS0qbl4"

#endif
