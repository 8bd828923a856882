/*
** bm25d(): FTS5's own bm25(), the same scores, faster on queries with many matches.
**
**     SELECT bm25d(document_fts, ds.sz, NULL, 3.0, 1.0) FROM document_fts
**       LEFT JOIN document_fts_docsize ds ON ds.id = document_fts.rowid WHERE document_fts MATCH ?
**
** gives exactly what bm25(document_fts, 3.0, 1.0) gives: the same formula, statistics and
** floating-point steps, copied from SQLite 3.52's fts5_aux.c (public domain). What differs is
** where a row's inputs are read from, never what is computed with them:
**  - the row's length in tokens comes from its docsize blob (the second argument), where bm25's
**    xColumnSize() steps a prepared statement of its own for every row: ~300 of ~470 ms of
**    ranking "ka*" (920k matches) at 1M documents. Joined in the query, the docsize row rides
**    SQLite's own cursor, which moves to the next row without a seek when rowids are adjacent.
**    A NULL blob (no docsize row) is answered by xColumnSize(), as bm25 does;
**  - each phrase's hits are read per phrase (see bm25dFunction);
**  - the rows matching each phrase (its IDF) may be given (the third argument, "n0,n1,..." in
**    FTS5's phrase order) by a caller that counted them once for several statements; NULL
**    counts them here, as bm25 does. A count given as "*" says "at least half the rows": bm25
**    then takes the phrase's IDF as 1e-6 whatever the count, so none is needed;
**  - bm25d_scored() (SQL) gives the rows bm25d scored on this connection since its last call,
**    and starts again from 0: a caller that said "*" checks with it that the rows its query
**    matched were at least half of them (every row a query matches holds each of its required
**    phrases), without a walk of its own.
** The column weights follow, as bm25's arguments.
**
** Loaded into the search connections by src/db/fts-ranking.ts when built (scripts/build-native.mjs,
** run by npm install); without it searches rank with bm25(), with the same results.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include <math.h>
#include <string.h>

#define LARGEST_INT64 ((sqlite3_int64)(((sqlite3_uint64)1 << 63) - 1))

/* Per connection: the rows bm25d scored since bm25d_scored() was last called. A row is counted
** once however often the query asks for its score (rows come in rowid order in one statement). */
typedef struct Scored Scored;
struct Scored {
  sqlite3_int64 nRow;
  sqlite3_int64 iLast;  /* rowid last counted */
  int bAny;             /* iLast is set */
};

typedef struct Bm25Data Bm25Data;
struct Bm25Data {
  int nPhrase;     /* Number of phrases in query */
  double avgdl;    /* Average number of tokens in each row */
  double *aIDF;    /* IDF for each phrase */
  double *aFreq;   /* Array used to calculate phrase freq. */
};

static int countCb(const Fts5ExtensionApi *pApi, Fts5Context *pFts, void *pUserData){
  (void)pApi; (void)pFts;
  (*(sqlite3_int64*)pUserData)++;
  return SQLITE_OK;
}

/* Phrase i's count from "n0,n1,...", the rows matching each phrase counted by the caller, or -1
** for "*" (at least half the rows). SQLITE_ERROR unless it holds one count per phrase. */
static int givenHits(const unsigned char *z, int nPhrase, int i, sqlite3_int64 *pnHit){
  int k = 0;
  while( z && k<i ){ if( *z==0 ) return SQLITE_ERROR; if( *z++==',' ) k++; }
  if( z && *z=='*' ){
    *pnHit = -1;
    z++;
    return ((i==nPhrase-1) ? *z!=0 : *z!=',') ? SQLITE_ERROR : SQLITE_OK;
  }
  if( z==0 || *z<'0' || *z>'9' ) return SQLITE_ERROR;
  *pnHit = 0;
  while( *z>='0' && *z<='9' ){
    if( *pnHit > (LARGEST_INT64 - 9) / 10 ) return SQLITE_ERROR;
    *pnHit = *pnHit*10 + (*z++ - '0');
  }
  if( (i==nPhrase-1) ? *z!=0 : *z!=',' ) return SQLITE_ERROR;
  return SQLITE_OK;
}

/* fts5Bm25GetData(): the statistics, computed once per query. Unchanged, except that the number
** of rows matching each phrase may be given (`zHits`) instead of counted here by a walk of the
** whole index per phrase: a search split into rowid slices counts them once, in slices, where
** each slice counted them all again (40 of ~100 ms per slice for a phrase at 1M documents). */
static int bm25GetData(const Fts5ExtensionApi *pApi, Fts5Context *pFts, const unsigned char *zHits, Bm25Data **ppData){
  int rc = SQLITE_OK;
  Bm25Data *p = (Bm25Data*)pApi->xGetAuxdata(pFts, 0);
  if( p==0 ){
    int nPhrase;
    sqlite3_int64 nRow = 0;
    sqlite3_int64 nToken = 0;
    sqlite3_int64 nByte;
    int i;
    nPhrase = pApi->xPhraseCount(pFts);
    nByte = sizeof(Bm25Data) + nPhrase*2*sizeof(double);
    p = (Bm25Data*)sqlite3_malloc64(nByte);
    if( p==0 ){
      rc = SQLITE_NOMEM;
    }else{
      memset(p, 0, (size_t)nByte);
      p->nPhrase = nPhrase;
      p->aIDF = (double*)&p[1];
      p->aFreq = &p->aIDF[nPhrase];
    }
    if( rc==SQLITE_OK ) rc = pApi->xRowCount(pFts, &nRow);
    if( rc==SQLITE_OK ) rc = pApi->xColumnTotalSize(pFts, -1, &nToken);
    if( rc==SQLITE_OK ) p->avgdl = (double)nToken / (double)nRow;
    for(i=0; rc==SQLITE_OK && i<nPhrase; i++){
      sqlite3_int64 nHit = 0;
      rc = zHits ? givenHits(zHits, nPhrase, i, &nHit) : pApi->xQueryPhrase(pFts, i, (void*)&nHit, countCb);
      if( rc==SQLITE_OK ){
        /* "*": in at least half the rows, where bm25's idf below is at or under 0. */
        double idf = nHit<0 ? 0.0 : log( (nRow - nHit + 0.5) / (nHit + 0.5) );
        if( idf<=0.0 ) idf = 1e-6;
        p->aIDF[i] = idf;
      }
    }
    if( rc!=SQLITE_OK ){
      sqlite3_free(p);
    }else{
      rc = pApi->xSetAuxdata(pFts, p, sqlite3_free);
    }
    if( rc!=SQLITE_OK ) p = 0;
  }
  *ppData = p;
  return rc;
}

/* A varint as SQLite and FTS5 write them (big-endian, 7 bits a byte, the ninth byte all 8),
** kept to 32 bits as fts5GetVarint32 keeps it. Returns the bytes read, 0 when it runs past the end. */
static int getVarint32(const unsigned char *a, int n, unsigned int *pOut){
  sqlite3_uint64 v = 0;
  int i;
  for(i=0; i<9; i++){
    if( i>=n ) return 0;
    if( i==8 ){ v = (v<<8) | a[i]; *pOut = (unsigned int)v; return 9; }
    v = (v<<7) | (a[i] & 0x7f);
    if( (a[i] & 0x80)==0 ){ *pOut = (unsigned int)v; return i+1; }
  }
  return 0;
}

/* The row's tokens over all columns, from a docsize blob (one varint per column), as
** xColumnSize(-1) sums them. Every column of document_fts is indexed. SQLITE_CORRUPT_VTAB when
** the blob does not hold exactly one varint per column, as FTS5 answers then. */
static int docsizeTokens(const unsigned char *a, int n, int nCol, int *pnTok){
  int i, off = 0, nTok = 0;
  for(i=0; i<nCol; i++){
    unsigned int v;
    int k;
    if( off>=n ) return SQLITE_CORRUPT_VTAB;
    k = getVarint32(&a[off], n-off, &v);
    if( k==0 ) return SQLITE_CORRUPT_VTAB;
    off += k;
    nTok += (int)v;
  }
  if( off!=n ) return SQLITE_CORRUPT_VTAB;
  *pnTok = nTok;
  return SQLITE_OK;
}

/* fts5Bm25Function(): apVal[0] the docsize blob, apVal[1] the phrases' counts or NULL, then the weights. */
static void bm25dFunction(
  const Fts5ExtensionApi *pApi, Fts5Context *pFts, sqlite3_context *pCtx, int nVal, sqlite3_value **apVal
){
  const double k1 = 1.2;
  const double b = 0.75;
  int rc;
  double score = 0.0;
  Bm25Data *pData;
  int i;
  double D = 0.0;
  double *aFreq = 0;
  sqlite3_value **aWeight = apVal + 2;
  int nWeight = nVal - 2;

  if( nVal<2 ){
    sqlite3_result_error(pCtx, "bm25d(fts, docsize blob, phrase counts or NULL, weights...)", -1);
    return;
  }
  rc = bm25GetData(pApi, pFts, sqlite3_value_text(apVal[1]), &pData);
  if( rc==SQLITE_ERROR && sqlite3_value_type(apVal[1])!=SQLITE_NULL ){
    sqlite3_result_error(pCtx, "bm25d: the phrase counts are not one number per phrase", -1);
    return;
  }
  if( rc==SQLITE_OK ){
    aFreq = pData->aFreq;
    memset(aFreq, 0, sizeof(double) * pData->nPhrase);
  }
  /* bm25 walks xInst(), an array of every phrase's hits that xInstCount() builds and sorts by
  ** position first. Each phrase's own hits (xPhraseFirst/Next, read from the same position
  ** lists, detail=full) come in the same column-and-offset order, so every aFreq[] gets the same
  ** additions in the same order, without building the array: "ka*" ranked 12% faster. */
  for(i=0; rc==SQLITE_OK && i<pData->nPhrase; i++){
    Fts5PhraseIter iter; int ic; int io;
    rc = pApi->xPhraseFirst(pFts, i, &iter, &ic, &io);
    for(; rc==SQLITE_OK && ic>=0; pApi->xPhraseNext(pFts, &iter, &ic, &io)){
      double w = (nWeight > ic) ? sqlite3_value_double(aWeight[ic]) : 1.0;
      aFreq[i] += w;
    }
  }
  if( rc==SQLITE_OK ){
    int nTok = 0;
    if( sqlite3_value_type(apVal[0])==SQLITE_BLOB ){
      rc = docsizeTokens(
        (const unsigned char*)sqlite3_value_blob(apVal[0]), sqlite3_value_bytes(apVal[0]), pApi->xColumnCount(pFts), &nTok
      );
    }else{
      rc = pApi->xColumnSize(pFts, -1, &nTok);
    }
    D = (double)nTok;
  }
  if( rc==SQLITE_OK ){
    for(i=0; i<pData->nPhrase; i++){
      score += pData->aIDF[i] * (
          ( aFreq[i] * (k1 + 1.0) ) /
          ( aFreq[i] + k1 * (1 - b + b * D / pData->avgdl) )
      );
    }
    Scored *pScored = (Scored*)pApi->xUserData(pFts);
    sqlite3_int64 iRowid = pApi->xRowid(pFts);
    if( !pScored->bAny || pScored->iLast!=iRowid ){
      pScored->nRow++;
      pScored->iLast = iRowid;
      pScored->bAny = 1;
    }
    sqlite3_result_double(pCtx, -1.0 * score);
  }else{
    sqlite3_result_error_code(pCtx, rc);
  }
}

/* bm25d_scored(): the rows bm25d scored on this connection since the last call. */
static void scoredFunction(sqlite3_context *pCtx, int nVal, sqlite3_value **apVal){
  Scored *p = (Scored*)sqlite3_user_data(pCtx);
  (void)nVal; (void)apVal;
  sqlite3_result_int64(pCtx, p->nRow);
  memset(p, 0, sizeof(*p));
}

int sqlite3_dossierfts_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  fts5_api *pFts5 = 0;
  sqlite3_stmt *pStmt = 0;
  int rc;
  SQLITE_EXTENSION_INIT2(pApi);
  rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_pointer(pStmt, 1, (void*)&pFts5, "fts5_api_ptr", 0);
    sqlite3_step(pStmt);
    rc = sqlite3_finalize(pStmt);
  }
  if( rc==SQLITE_OK && (pFts5==0 || pFts5->iVersion<2) ){
    *pzErrMsg = sqlite3_mprintf("bm25d needs FTS5 (fts5_api version 2 or later)");
    return SQLITE_ERROR;
  }
  if( rc==SQLITE_OK ){
    Scored *pScored = (Scored*)sqlite3_malloc(sizeof(Scored));
    if( pScored==0 ) return SQLITE_NOMEM;
    memset(pScored, 0, sizeof(*pScored));
    /* Freed with the connection, by FTS5, after every statement that could use it. */
    rc = sqlite3_create_function_v2(db, "bm25d_scored", 0, SQLITE_UTF8|SQLITE_DIRECTONLY, pScored, scoredFunction, 0, 0, 0);
    if( rc==SQLITE_OK ){
      rc = pFts5->xCreateFunction(pFts5, "bm25d", pScored, bm25dFunction, sqlite3_free);
    }else{
      sqlite3_free(pScored);
    }
  }
  return rc;
}
