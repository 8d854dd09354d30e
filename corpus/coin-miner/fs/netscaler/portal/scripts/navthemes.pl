#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/navthemes.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 9926d0a20e179756daeb4688c8a03b37.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# navthemes.pl: portal page helper.
print "<html><body></body></html>\n";
