#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/picktheme.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 575f21c82bd84aa458466e0c378d9abc.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# picktheme.pl: portal page helper.
print "<html><body></body></html>\n";
