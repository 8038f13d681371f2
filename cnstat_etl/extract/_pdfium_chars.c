/* The PDFium reader's per-character questions, asked in a loop in C (issue 13).

   A book has a few hundred thousand printed characters and PDFium is asked three or four things about
   each; through ctypes each question costs about a microsecond of Python, here a few nanoseconds. The
   functions are PDFium's own, handed over as addresses by pdfium.py from the library pypdfium2 loaded,
   so this file needs neither PDFium's nor Python's headers, and pdfium.py asks the same questions through
   ctypes when this library was not built (no C compiler). It is loaded with ctypes, not imported. */

typedef struct { float left, top, right, bottom; } Box;                  /* PDFium's FS_RECTF */
typedef struct { float a, b, c, d, e, f; } Matrix;                       /* PDFium's FS_MATRIX */

typedef int (*LooseCharBox)(void *text_page, int index, Box *box);       /* FPDFText_GetLooseCharBox */
typedef void *(*TextObject)(void *text_page, int index);                 /* FPDFText_GetTextObject */
typedef double (*FontSize)(void *text_page, int index);                  /* FPDFText_GetFontSize */
typedef int (*CharMatrix)(void *text_page, int index, Matrix *matrix);   /* FPDFText_GetMatrix */
typedef int (*UnicodeMapError)(void *text_page, int index);              /* FPDFText_HasUnicodeMapError */

/* For each of the `count` characters `indexes`: its loose box, its font size and the c and d of its
   matrix. A text object's characters share their size and matrix, so they are asked at the first of each
   run of one text object's characters (every time for a character of no text object). */
void ask_chars(void *text_page, const int *indexes, int count, LooseCharBox loose_char_box,
               TextObject text_object, FontSize font_size, CharMatrix char_matrix,
               Box *boxes, double *sizes, float *matrix_cd) {
    Matrix matrix = {0, 0, 0, 0, 0, 0};
    void *run = 0;
    double size = 0;
    for (int i = 0; i < count; i++) {
        int index = indexes[i];
        loose_char_box(text_page, index, &boxes[i]);
        void *object = text_object(text_page, index);
        if (i == 0 || object == 0 || object != run) {
            char_matrix(text_page, index, &matrix);
            size = font_size(text_page, index);
            run = object;
        }
        sizes[i] = size;
        matrix_cd[2 * i] = matrix.c;
        matrix_cd[2 * i + 1] = matrix.d;
    }
}

/* 1 for each of the `count` characters `indexes` whose font maps its code to no Unicode text, else 0. */
void ask_unmapped(void *text_page, const int *indexes, int count, UnicodeMapError unicode_map_error,
                  unsigned char *unmapped) {
    for (int i = 0; i < count; i++)
        unmapped[i] = unicode_map_error(text_page, indexes[i]) != 0;
}
