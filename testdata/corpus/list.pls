[playlist]
File1=https://example.com/a.mp3
NumberOfEntries=1
